#!/bin/sh
# Runs a bare-metal test program (tests/guest) under -accel kvm:
#   guest_program.sh MIMIC IMAGE NAME [extra options...]
# Passes when it reports PASS through debugcon and isa-debug-exit, as under
# TCG. When Mimic fails, QEMU 7.2 runs the same program on the same
# /dev/kvm: if QEMU fails too, the host's KVM is what cannot run it (this
# machine's is a software implementation) and the test is skipped with
# QEMU's words; if QEMU passes, Mimic is wrong and the test fails.
mimic=$1 image=$2 name=$3
shift 3
. "$(dirname "$0")/kvm_available.sh"
run() {
    binary=$1 out=$2
    shift 2
    rm -f "$out"
    timeout 15 "$binary" -accel kvm -bios "$image" -debugcon file:"$out" -display none \
        -device isa-debug-exit,iobase=0xf4,iosize=0x04 "$@" > "$out.log" 2>&1
    status=$?
    [ $status -eq 1 ] && grep -q PASS "$out"
}
if run "$mimic" "$name.kvm.out" "$@"; then
    echo "PASS under KVM"
    exit 0
fi
echo "Mimic under KVM: exit status $status"
cat "$name.kvm.out" "$name.kvm.out.log" 2>/dev/null | tail -20
qemu=/usr/bin/qemu-system-x86_64
if [ ! -x "$qemu" ]; then
    echo "FAIL (no QEMU to tell a host limit from a bug)"
    exit 1
fi
if run "$qemu" "$name.qemu.out" "$@"; then
    echo "FAIL: QEMU 7.2 passes this program on the same /dev/kvm"
    exit 1
fi
echo "SKIP: QEMU 7.2 fails it too on this host's KVM (exit status $status):"
head -3 "$name.qemu.out.log"
exit 77
