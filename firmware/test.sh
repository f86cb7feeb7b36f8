#!/usr/bin/env bash
# Builds the firmware's host targets (including the Arduino glue against stand-in headers)
# and runs the host tests. Extra arguments go to doctest, e.g. -tc="*credit*".
# Run by `npm test` through tests/firmware/firmware-host.test.ts.
set -euo pipefail
cd "$(dirname "$0")"
bash ./build.sh
./build/host-tests "$@"
