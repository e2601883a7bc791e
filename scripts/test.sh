#!/usr/bin/env bash
# Installs what is missing, builds, and runs the whole test suite:
# the fast unit tests first, then everything else (device, guest, interop).
# Label "linux" (Debian's kernel booting, tests/guest-linux) is left out
# until the CPU runs 64-bit Linux; run it with: ctest -L linux
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/setup.sh
./scripts/build.sh
cd "${MIMIC_BUILD_DIR:-build}"
ctest -L unit -j "$(nproc)" --output-on-failure
ctest -LE '^(unit|linux)$' -j "$(nproc)" --output-on-failure --no-tests=ignore
