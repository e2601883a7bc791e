#!/usr/bin/env python3
"""SeaBIOS on KVM: to "No bootable device" (-smp 1 with KVM's pages
reserved in its e820 map, -smp 2 with SeaBIOS counting both vCPUs), and
booting a boot sector from -hda and from a CD.

    kvm_boot_test.py MIMIC CASE   CASE: no-media | smp2 | hda | cdrom | smp2-irqchip-off

Where Mimic fails, QEMU 7.2 runs the same case on the same /dev/kvm: if it
fails too, this host's KVM cannot run it (skip, 77); otherwise Mimic fails.
Also skips where /dev/kvm does not open or SeaBIOS/binutils are missing.
"""
import os
import shutil
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "boot"))
import boot_vm  # noqa: E402

QEMU = "/usr/bin/qemu-system-x86_64"
DEADLINE_S = 180
SMP_LINE = "Found 2 cpu(s) max supported 2 cpu(s)"
# The pages KVM keeps for real mode, reserved in the firmware's map as QEMU does.
KVM_E820_LINE = "00000000feffc000 - 00000000ff000000 = 2 RESERVED"


def kvm_opens():
    try:
        os.close(os.open("/dev/kvm", os.O_RDWR))
        return True
    except OSError as e:
        print("SKIP: /dev/kvm does not open: %s" % e.strerror)
        return False


def run_case(binary, case, workdir):
    """(ok, why) for one emulator."""
    args = ["-accel", "kvm", "-nographic", "-m", "128", "-nic", "none"]
    expected = b"No bootable device"
    log = os.path.join(workdir, "seabios-%s.log" % os.path.basename(binary))
    args += ["-chardev", "file,id=seabios,path=" + log, "-device", "isa-debugcon,iobase=0x402,chardev=seabios"]
    if case.startswith("smp2"):
        if case.endswith("irqchip-off"):
            args += ["-machine", "kernel-irqchip=off"]
        args += ["-smp", "2"]
    elif case == "hda":
        args += ["-drive", "file=%s,format=raw,if=ide" % boot_vm.bootsector_disk(workdir)]
        expected = b"MIMIC-SECTOR-TWO-READ-BY-INT13"
    elif case == "cdrom":
        args += ["-cdrom", boot_vm.cdboot_iso(workdir), "-boot", "d"]
        expected = b"MIMIC-CD-SECTOR-TWO-READ-BY-INT13-EXT CD BOOT DONE"
    with boot_vm.Vm(binary, args) as vm:
        if not vm.wait_serial(expected, DEADLINE_S):
            return False, vm.why_not(expected, DEADLINE_S)
        elapsed = vm.elapsed()
    with open(log, "rb") as f:
        debug = f.read().decode(errors="replace")
    if case.startswith("smp2") and SMP_LINE not in debug:
        return False, "SeaBIOS did not find 2 CPUs; its log:\n" + debug
    if case == "no-media" and KVM_E820_LINE not in debug:
        return False, "no %r in SeaBIOS's e820 map; its log:\n%s" % (KVM_E820_LINE, debug)
    return True, "%.1f s" % elapsed


def main():
    binary, case = sys.argv[1], sys.argv[2]
    if not kvm_opens():
        return 77
    if not os.path.exists(boot_vm.SEABIOS) or not shutil.which("as") or \
            (case == "cdrom" and not shutil.which("xorriso")):
        print("SKIP: needs seabios, binutils and xorriso")
        return 77
    with tempfile.TemporaryDirectory() as workdir:
        ok, why = run_case(binary, case, workdir)
        if ok:
            print("PASS: %s under KVM in %s" % (case, why))
            return 0
        print("Mimic under KVM: %s" % why)
        if not os.path.exists(QEMU):
            print("FAIL (no QEMU to tell a host limit from a bug)")
            return 1
        qemu_ok, qemu_why = run_case(QEMU, case, workdir)
        if qemu_ok:
            print("FAIL: QEMU 7.2 passes %s on the same /dev/kvm in %s" % (case, qemu_why))
            return 1
        print("SKIP: QEMU 7.2 fails %s too on this host's KVM: %s" % (case, qemu_why[:500]))
        return 77


if __name__ == "__main__":
    sys.exit(main())
