#!/usr/bin/env bash
# Boots the default guest on the serial console: Debian 12's kernel and a
# busybox initramfs made from Debian packages (tests/guest-linux/build_guest.py,
# cached in ~/.cache/mimic/linux-guest), on two vCPUs. The guest checks
# itself, then gives a shell; `exit` powers it off (C-a x quits at any time).
# Extra arguments go to mimic-system-x86_64.
set -euo pipefail
cd "$(dirname "$0")/.."
guest=$(python3 tests/guest-linux/build_guest.py | tail -n 1)
exec build/mimic-system-x86_64 -m 512 -smp 2 -nographic \
    -kernel "$guest/vmlinuz" -initrd "$guest/initrd.img" \
    -append "console=ttyS0 quiet mimic.cpus=2 mimic.mem_mb=512 mimic.end=shell" "$@"
