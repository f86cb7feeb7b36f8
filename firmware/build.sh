#!/usr/bin/env bash
# Builds the host targets of the firmware into firmware/build: the core, the host tests,
# meter-native, and the compile check of the Arduino glue. Safe to run concurrently (the
# Vitest files may both ask for a build): a lock serialises the builds.
set -euo pipefail
cd "$(dirname "$0")"
mkdir -p build
exec 9>build/.build.lock
flock 9
generator=()
if command -v ninja >/dev/null 2>&1 && [ ! -f build/CMakeCache.txt ]; then generator=(-G Ninja); fi
cmake -S . -B build "${generator[@]}" -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build build --parallel "$(nproc)"
