#!/usr/bin/env bash
# Installs what is missing, builds, and runs the whole test suite:
# the fast unit tests first, then everything else (device, guest, interop,
# and Debian's kernel booting under Mimic: label "linux", tests/guest-linux).
# Label "linux-qemu" (the same guest under QEMU, a check of the guest itself)
# is left out; run it with: ctest -L linux-qemu
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/setup.sh
./scripts/build.sh
cd "${MIMIC_BUILD_DIR:-build}"
ctest -L unit -j "$(nproc)" --output-on-failure
ctest -LE '^(unit|linux-qemu)$' -j "$(nproc)" --output-on-failure --no-tests=ignore
