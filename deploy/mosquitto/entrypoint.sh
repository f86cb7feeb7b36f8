#!/bin/sh
# Starts Mosquitto with the dynamic-security plugin. On first start (no state file yet) it
# creates the plugin's state with `mosquitto_ctrl dynsec init` (the admin account, from a
# secret file), then, through the running broker, the server's account and its role. Later
# starts use the saved state as it is: change passwords with mosquitto_ctrl, not here.
# Paths and names come from the environment so that tests can run it outside a container.
set -eu

CONF=${MOSQUITTO_CONF:-/mosquitto/config/mosquitto.conf}
DYNSEC_FILE=${DYNSEC_FILE:-/mosquitto/data/dynamic-security.json}
ADMIN_USERNAME=${MQTT_ADMIN_USERNAME:-umeme-admin}
ADMIN_PASSWORD_FILE=${MQTT_ADMIN_PASSWORD_FILE:-/run/secrets/mqtt_admin_password}
SERVER_USERNAME=${MQTT_SERVER_USERNAME:-umeme-server}
SERVER_PASSWORD_FILE=${MQTT_SERVER_PASSWORD_FILE:-/run/secrets/mqtt_server_password}
LOCAL_PORT=${MQTT_LOCAL_PORT:-1883}

# Prints a secret file's first line; names the file, never the content, when it is missing or empty.
secret() {
  if [ ! -r "$1" ] || [ ! -s "$1" ]; then
    echo "mosquitto entrypoint: $2: cannot read $1, or it is empty" >&2
    exit 1
  fi
  head -n 1 "$1" | tr -d '\r\n'
}

ADMIN_PASSWORD=$(secret "$ADMIN_PASSWORD_FILE" MQTT_ADMIN_PASSWORD_FILE)
first_start=false
if [ ! -f "$DYNSEC_FILE" ]; then
  SERVER_PASSWORD=$(secret "$SERVER_PASSWORD_FILE" MQTT_SERVER_PASSWORD_FILE)
  mosquitto_ctrl dynsec init "$DYNSEC_FILE" "$ADMIN_USERNAME" "$ADMIN_PASSWORD" >/dev/null
  # mosquitto_ctrl exits 0 even when it could not write the file
  if [ ! -s "$DYNSEC_FILE" ]; then
    echo "mosquitto entrypoint: dynsec init did not create $DYNSEC_FILE" >&2
    exit 1
  fi
  # The broker drops root privileges before it loads the plugin's state.
  if [ "$(id -u)" = 0 ] && id mosquitto >/dev/null 2>&1; then
    chown mosquitto:mosquitto "$DYNSEC_FILE"
  fi
  first_start=true
else
  echo "mosquitto entrypoint: starting with the saved dynamic-security state in $DYNSEC_FILE"
fi

mosquitto -c "$CONF" &
broker=$!
trap 'kill -TERM "$broker" 2>/dev/null' TERM INT

if [ "$first_start" = true ]; then
  # A first start that fails half way starts again from nothing next time.
  fail() {
    echo "mosquitto entrypoint: $1" >&2
    kill -TERM "$broker" 2>/dev/null || true
    wait "$broker" 2>/dev/null || true
    rm -f "$DYNSEC_FILE"
    exit 1
  }
  # mosquitto_ctrl warns on every call that 127.0.0.1 is unencrypted: shown only on failure.
  ctrl() {
    out=$(mosquitto_ctrl -h 127.0.0.1 -p "$LOCAL_PORT" -u "$ADMIN_USERNAME" -P "$ADMIN_PASSWORD" dynsec "$@" 2>&1) ||
      {
        echo "$out" | grep -v -e 'without encryption' -e 'visible on the network' -e '^$' >&2
        return 1
      }
  }
  tries=0
  until ctrl getDefaultACLAccess 2>/dev/null; do
    tries=$((tries + 1))
    if [ "$tries" -ge 100 ] || ! kill -0 "$broker" 2>/dev/null; then
      fail "the broker did not come up to create the server's account"
    fi
    sleep 0.2
  done
  # The server reads every meter's reports (shared between instances) and status, and
  # publishes the commands; per-meter accounts and roles are created when meters are
  # provisioned (docs/operations.md).
  ctrl createRole umeme-server || fail 'createRole umeme-server failed'
  # Mosquitto checks a shared subscription's ACL with its $share/group/ prefix.
  for filter in 'smartmeter/+/consumption' 'smartmeter/+/balance' 'smartmeter/+/status' \
    '$share/umeme/smartmeter/+/consumption' '$share/umeme/smartmeter/+/balance'; do
    ctrl addRoleACL umeme-server subscribePattern "$filter" allow || fail "addRoleACL $filter failed"
  done
  ctrl addRoleACL umeme-server publishClientSend 'smartmeter/+/command/#' allow ||
    fail 'addRoleACL smartmeter/+/command/# failed'
  ctrl createClient "$SERVER_USERNAME" -p "$SERVER_PASSWORD" || fail "createClient $SERVER_USERNAME failed"
  ctrl addClientRole "$SERVER_USERNAME" umeme-server || fail "addClientRole $SERVER_USERNAME failed"
  echo "mosquitto entrypoint: dynamic security initialised (admin $ADMIN_USERNAME, server $SERVER_USERNAME)"
fi

# A signal interrupts `wait`; wait again for the broker's own exit and pass on its status.
set +e
wait "$broker"
status=$?
while kill -0 "$broker" 2>/dev/null; do
  wait "$broker"
  status=$?
done
exit "$status"
