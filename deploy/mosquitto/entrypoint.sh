#!/bin/sh
# Starts Mosquitto with the dynamic-security plugin. On first start (no state file yet) it
# creates the plugin's state with `mosquitto_ctrl dynsec init`: the admin account only, its
# password from a secret file. Everything else (the server's account and role, one account and
# role per meter) is made by the Umeme server itself (MQTT_DYNSEC=true, docs/brokers.md) through
# that admin account. Later starts use the saved state as it is: change the admin's password
# with mosquitto_ctrl, not here.
# Paths and names come from the environment so that tests can run it outside a container.
set -eu

CONF=${MOSQUITTO_CONF:-/mosquitto/config/mosquitto.conf}
DYNSEC_FILE=${DYNSEC_FILE:-/mosquitto/data/dynamic-security.json}
ADMIN_USERNAME=${MQTT_ADMIN_USERNAME:-umeme-admin}
ADMIN_PASSWORD_FILE=${MQTT_ADMIN_PASSWORD_FILE:-/run/secrets/mqtt_admin_password}

# Prints a secret file's first line; names the file, never the content, when it is missing or empty.
secret() {
  if [ ! -r "$1" ] || [ ! -s "$1" ]; then
    echo "mosquitto entrypoint: $2: cannot read $1, or it is empty" >&2
    exit 1
  fi
  head -n 1 "$1" | tr -d '\r\n'
}

if [ ! -f "$DYNSEC_FILE" ]; then
  ADMIN_PASSWORD=$(secret "$ADMIN_PASSWORD_FILE" MQTT_ADMIN_PASSWORD_FILE)
  if ! mosquitto_ctrl dynsec init "$DYNSEC_FILE" "$ADMIN_USERNAME" "$ADMIN_PASSWORD" >/dev/null; then
    rm -f "$DYNSEC_FILE"
    echo "mosquitto entrypoint: dynsec init failed for $DYNSEC_FILE" >&2
    exit 1
  fi
  # mosquitto_ctrl exits 0 even when it could not write the file
  if [ ! -s "$DYNSEC_FILE" ]; then
    rm -f "$DYNSEC_FILE"
    echo "mosquitto entrypoint: dynsec init did not create $DYNSEC_FILE" >&2
    exit 1
  fi
  # The broker drops root privileges before it loads the plugin's state.
  if [ "$(id -u)" = 0 ] && id mosquitto >/dev/null 2>&1; then
    chown mosquitto:mosquitto "$DYNSEC_FILE"
  fi
  echo "mosquitto entrypoint: dynamic security initialised (admin $ADMIN_USERNAME only; the server makes its own account and the meters')"
else
  echo "mosquitto entrypoint: starting with the saved dynamic-security state in $DYNSEC_FILE"
fi

exec mosquitto -c "$CONF"
