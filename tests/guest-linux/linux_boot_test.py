#!/usr/bin/env python3
"""Debian's stock kernel boots by direct kernel boot to the test guest's
init, which runs its checks and reports on the serial console
(build_guest.py builds the guest, cached outside the build tree).

    linux_boot_test.py EMULATOR [--smp N] [--cpu MODEL] [--ahci] [--machine M [--iommu]]

Runs
    EMULATOR -m 512 -nographic -no-reboot -kernel vmlinuz -initrd initrd.img
             -append "console=ttyS0 mimic.cpus=N mimic.mem_mb=512 mimic.disk=MD5
                      mimic.write=WORD"
             -smp N -drive file=disk.raw,format=raw,if=ide [-cpu MODEL]
(with --ahci the disk is on an ich9-ahci port instead: -device ahci,id=ahci
-drive if=none,id=d0,... -device ide-hd,drive=d0,bus=ahci.0; with
--machine q35 the if=ide disk is on the board's own AHCI port 0, and
--iommu adds -device intel-iommu and intel_iommu=on, so the disk's DMA
goes through VT-d remapping),
and passes when "MIMIC-GUEST: PASS" appears, the emulator then exits 0 (the
guest reboots; -no-reboot turns that into an exit) and what the guest wrote
to its disk is in disk.raw. EMULATOR may be
Debian's qemu-system-x86_64 too, to check the guest itself.
"""
import argparse
import hashlib
import os
import select
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import build_guest  # noqa: E402

RAM_MB = 512
DEADLINE_S = int(os.environ.get("MIMIC_LINUX_BOOT_TIMEOUT", "1500"))
# Console text after which the guest gets nowhere: stop waiting.
FATAL = (b"Unable to boot", b"Kernel panic", b"MIMIC-GUEST: FAIL")


def make_disk(path):
    data = bytearray(1 << 20)
    data[0:32] = b"MIMIC-LINUX-GUEST-DISK-MARKER-01"
    for i in range(32, len(data)):
        data[i] = (i * 7 + 3) & 0xFF
    with open(path, "wb") as f:
        f.write(data)
    return hashlib.md5(bytes(data[:65536])).hexdigest()


def run_vm(command, on_console=None, exit_timeout=30, fatal=FATAL):
    """Runs the emulator until it exits, the guest is stuck (a `fatal`
    marker on the console) or time is up; returns the console text (also
    printed) and the exit status (None when the emulator had to be killed).
    on_console, if given, sees the console bytes so far about once a second
    (a test acting on what the guest says). exit_timeout: how long the
    emulator may take to exit once the console closes or time is up."""
    print(" ".join(command), flush=True)
    vm = subprocess.Popen(command, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    console = b""
    start = time.monotonic()
    try:
        # Until the emulator closes its output (it exits), the guest is
        # stuck, or time is up.
        while time.monotonic() - start < DEADLINE_S and not any(m in console for m in fatal):
            ready, _, _ = select.select([vm.stdout], [], [], 1.0)
            if ready:
                chunk = os.read(vm.stdout.fileno(), 65536)
                if not chunk:
                    break
                console += chunk
            if on_console:
                on_console(console)
        try:
            code = vm.wait(timeout=5 if any(m in console for m in fatal) else exit_timeout)
        except subprocess.TimeoutExpired:
            code = None
    finally:
        if vm.poll() is None:
            vm.kill()
            vm.wait()
    text = console.decode(errors="replace")
    print(text[-20000:])
    return text, code


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("emulator")
    parser.add_argument("--smp", type=int, default=1)
    parser.add_argument("--cpu", help="a -cpu model (the default: the emulator's)")
    parser.add_argument("--ahci", action="store_true", help="the disk on an ich9-ahci port, not the PIIX")
    parser.add_argument("--machine", help="a -machine type (the default: the emulator's)")
    parser.add_argument("--iommu", action="store_true", help="-device intel-iommu, Linux's intel_iommu=on")
    args = parser.parse_args()

    guest = build_guest.build(build_guest.cache_dir())
    with tempfile.TemporaryDirectory() as workdir:
        disk = os.path.join(workdir, "disk.raw")
        md5 = make_disk(disk)
        word = "w%d" % os.getpid()
        command = [args.emulator, "-m", str(RAM_MB), "-nographic", "-no-reboot",
                   "-kernel", os.path.join(guest, "vmlinuz"), "-initrd", os.path.join(guest, "initrd.img"),
                   "-append", build_guest.BASE_APPEND + " mimic.cpus=%d mimic.mem_mb=%d mimic.disk=%s mimic.write=%s" % (
                       args.smp, RAM_MB, md5, word),
                   "-smp", str(args.smp)]
        if args.ahci:
            command += ["-device", "ahci,id=ahci", "-drive", "file=%s,format=raw,if=none,id=d0" % disk,
                        "-device", "ide-hd,drive=d0,bus=ahci.0"]
        else:
            command += ["-drive", "file=%s,format=raw,if=ide" % disk]
        if args.cpu:
            command += ["-cpu", args.cpu]
        if args.machine:
            command += ["-machine", args.machine]
        if args.iommu:
            command += ["-device", "intel-iommu"]
            append = command.index("-append") + 1
            command[append] += " intel_iommu=on"
        if "qemu" in os.path.basename(args.emulator):
            command += ["-accel", "tcg"]
        text, code = run_vm(command)
        passed = "MIMIC-GUEST: PASS" in text
        with open(disk, "rb") as f:
            f.seek(65536)
            written = f.read(64).startswith(("MIMIC-GUEST-WROTE:%s\n" % word).encode())
        ok = passed and code == 0 and written
        print("%s: guest %s, emulator exit status %s, guest's write %s" % (
            "PASS" if ok else "FAIL", "reported PASS" if passed else "did not report PASS", code,
            "found in the image" if written else "not in the image"))
        return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
