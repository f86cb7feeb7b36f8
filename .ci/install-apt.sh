#!/usr/bin/env bash
# System packages the tests need (Debian). Idempotent: installs only what is missing.
set -euo pipefail
PACKAGES=(chromium mosquitto haproxy postgresql redis-server g++ cmake libmosquitto-dev libgtest-dev googletest doctest-dev nlohmann-json3-dev)
missing=()
for p in "${PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "installing: ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi
