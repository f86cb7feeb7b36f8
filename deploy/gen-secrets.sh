#!/bin/sh
# Writes the random secrets deploy/compose.yaml reads from deploy/secrets/, each only if it is
# not there yet (run it again safely). Daraja's credentials and the MQTT TLS certificate and
# key are yours to add: see docs/operations.md.
set -eu
cd "$(dirname "$0")"
# Compose (without Swarm) bind-mounts each secret file with its own mode, and the containers
# read theirs as unprivileged users (node, postgres, mosquitto): the files are world-readable,
# and the directory, which only its owner can open, is what keeps them private on the host.
mkdir -p secrets
chmod 700 secrets
umask 022

# Hex for anything that goes inside a URL (no characters that need escaping), base64 for the
# JWT signing key. The callback token must avoid words Daraja refuses; hex cannot spell them.
new() {
  if [ -s "secrets/$1" ]; then
    echo "kept     secrets/$1"
  else
    printf '%s\n' "$2" > "secrets/$1"
    echo "written  secrets/$1"
  fi
}

new postgres_password "$(openssl rand -hex 32)"
new database_url "postgres://umeme:$(head -n 1 secrets/postgres_password)@postgres:5432/umeme"
new redis_password "$(openssl rand -hex 32)"
new redis_url "redis://:$(head -n 1 secrets/redis_password)@redis:6379"
new mqtt_admin_password "$(openssl rand -hex 32)"
# The servers manage the broker's accounts through its dynamic-security admin (MQTT_DYNSEC);
# the user name is compose.yaml's MQTT_ADMIN_USERNAME.
new mqtt_url "mqtt://umeme-admin:$(head -n 1 secrets/mqtt_admin_password)@mosquitto:1883"
new mqtt_server_password "$(openssl rand -hex 32)"
new jwt_secret "$(openssl rand -base64 48)"
new admin_password "$(openssl rand -base64 18)"
new daraja_callback_token "$(openssl rand -hex 32)"

for name in daraja_consumer_key daraja_consumer_secret daraja_passkey mqtt-server.crt mqtt-server.key; do
  [ -s "secrets/$name" ] || echo "missing  secrets/$name (yours to add: docs/operations.md)"
done
echo "The first operator signs in as ADMIN_EMAIL with the password in secrets/admin_password."
