#!/usr/bin/env bash
# Installs what is missing, builds, and runs the whole test suite:
# the fast unit tests first, then everything else (device, guest, interop).
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/setup.sh
./scripts/build.sh
cd "${MIMIC_BUILD_DIR:-build}"
ctest -L unit -j "$(nproc)" --output-on-failure
ctest -LE unit -j "$(nproc)" --output-on-failure --no-tests=ignore
