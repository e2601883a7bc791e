#!/usr/bin/env python3
"""Boot time, Mimic against QEMU TCG in the same run: from process start to
SeaBIOS's "No bootable device" (no media, serial mirror under -nographic),
to the GRUB menu of a grub-mkrescue ISO (seen in the VGA text buffer, polled
over QMP with pmemsave), and to the end of the Linux test guest's init checks
("MIMIC-GUEST: PASS": Debian's kernel by direct kernel boot, one vCPU, from
tests/guest-linux/build_guest.py). Prints the best of N runs per case and the ratio
mimic/qemu (below 1 = Mimic faster).

usage: boot_bench.py MIMIC [RUNS]
Needs qemu-system-x86_64 (Debian qemu-system-x86; 7.2 on bookworm), seabios,
grub-pc-bin, grub-common, xorriso and mtools. Both run with -nic none (and
QEMU with -accel tcg): the default e1000 would add iPXE's option ROM and a
network boot attempt to the boot, which measures iPXE rather than the CPU.
"""
import os
import shutil
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "tests", "boot"))
import boot_vm  # noqa: E402
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "tests", "guest-linux"))
import build_guest  # noqa: E402

TIMEOUT_S = 300


def no_bootable_device(binary, extra):
    with boot_vm.Vm(binary, ["-nographic", "-m", "128"] + extra) as vm:
        if not vm.wait_serial(b"No bootable device", TIMEOUT_S):
            raise RuntimeError("%s: no 'No bootable device'" % binary)
        return vm.elapsed()


def grub_menu(binary, extra, iso):
    with boot_vm.Vm(binary, ["-display", "none", "-m", "128", "-cdrom", iso, "-boot", "d"] + extra,
                    qmp=True) as vm:
        found, _ = vm.wait_screen(boot_vm.GRUB_MENU_ENTRY, TIMEOUT_S, poll=0.02)
        if not found:
            raise RuntimeError("%s: no GRUB menu" % binary)
        return vm.elapsed()


def linux_init(binary, extra, guest):
    args = ["-nographic", "-m", "512", "-no-reboot", "-kernel", os.path.join(guest, "vmlinuz"),
            "-initrd", os.path.join(guest, "initrd.img"), "-append", "console=ttyS0 quiet"]
    with boot_vm.Vm(binary, args + extra) as vm:
        if not vm.wait_serial(b"MIMIC-GUEST: PASS", TIMEOUT_S):
            raise RuntimeError("%s: the Linux guest did not reach PASS" % binary)
        return vm.elapsed()


def main():
    mimic = sys.argv[1]
    runs = int(sys.argv[2]) if len(sys.argv) > 2 else 3
    qemu = shutil.which("qemu-system-x86_64")
    if not qemu:
        print("qemu-system-x86_64 not installed (apt-get install qemu-system-x86)")
        return 77
    missing = boot_vm.missing_tools(["grub-mkrescue", "xorriso"])
    if missing:
        print("missing %s" % " ".join(missing))
        return 77
    version = subprocess.run([qemu, "--version"], capture_output=True, text=True).stdout.splitlines()[0]
    print("peer: %s (TCG); best of %d runs; load average %.1f" % (version, runs, os.getloadavg()[0]))
    peers = [("qemu", qemu, ["-accel", "tcg", "-nic", "none"]), ("mimic", mimic, ["-nic", "none"])]
    with tempfile.TemporaryDirectory() as workdir:
        iso = boot_vm.grub_iso(workdir)
        guest = build_guest.build(build_guest.cache_dir())
        cases = [("No bootable device", no_bootable_device, ()), ("GRUB menu", grub_menu, (iso,)),
                 ("Linux init checks", linux_init, (guest,))]
        print("%-20s %10s %10s %8s" % ("start to", "qemu", "mimic", "ratio"))
        for name, measure, args in cases:
            best = {}
            for _ in range(runs):
                for peer, binary, extra in peers:  # interleaved, so load drifts hit both
                    t = measure(binary, extra, *args)
                    best[peer] = min(best.get(peer, t), t)
            print("%-20s %9.2fs %9.2fs %8.2f" % (name, best["qemu"], best["mimic"], best["mimic"] / best["qemu"]))
    return 0


if __name__ == "__main__":
    sys.exit(main())
