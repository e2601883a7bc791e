#!/usr/bin/env bash
# Installs every Debian package Mimic needs to build, run and test.
# Idempotent; works as root or through sudo.
set -euo pipefail

BUILD_PACKAGES=(
  build-essential cmake ninja-build ccache pkg-config
  libglib2.0-dev libslirp-dev libxbyak-dev libzydis-dev libcapstone-dev
  zlib1g-dev libzstd-dev libaio-dev liburing-dev libsdl2-dev libpixman-1-dev
  nlohmann-json3-dev libfmt-dev libgtest-dev libgmock-dev libbenchmark-dev
  libseccomp-dev nettle-dev libncurses-dev
)
RUNTIME_PACKAGES=(seabios ipxe-qemu qemu-system-data)  # ipxe-qemu: NIC option ROMs (efi-e1000.rom); qemu-system-data: keymaps (-k, VNC)
TEST_PACKAGES=(qemu-utils socat netcat-openbsd libnbd-bin nbdkit busybox-static
               python3 tmux binutils clang libclang-rt-14-dev
               xorriso mtools grub-pc-bin grub-common isolinux syslinux syslinux-common
               qemu-system-x86 acpica-tools gvncviewer openssl)

ALL=("${BUILD_PACKAGES[@]}" "${RUNTIME_PACKAGES[@]}" "${TEST_PACKAGES[@]}")

missing=()
for p in "${ALL[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && { echo "setup: all packages present"; exit 0; }

SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"
export DEBIAN_FRONTEND=noninteractive
echo "setup: installing ${missing[*]}"
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
