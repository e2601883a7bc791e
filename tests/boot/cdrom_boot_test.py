#!/usr/bin/env python3
"""SeaBIOS boots CDs and follows -boot under the translator.

usage: cdrom_boot_test.py MIMIC CASE, CASE one of
  boot-d     an El Torito ISO (xorriso, boot image cdboot.S) boots with
             -cdrom x.iso -boot d: the image prints through INT 10h and reads
             its second CD sector through the INT 13h extensions;
  order-dc   -boot order=dc with an empty CD drive falls through to the disk;
  once-d     -boot once=d boots the CD, whose image then resets the machine,
             and the reboot goes back to the default order (disk first).
The lines come from SeaBIOS's serial mirror (-nographic).
"""
import sys
import tempfile

import boot_vm

BINARY, CASE = sys.argv[1], sys.argv[2]
DEADLINE_S = 60
CD_LINE = b"MIMIC-CD-SECTOR-TWO-READ-BY-INT13-EXT CD BOOT DONE"
CD_BANNER = b"MIMIC-CDROM-BOOT-IMAGE-RUNNING"
DISK_LINE = b"MIMIC-SECTOR-TWO-READ-BY-INT13 BOOT SECTOR"
COMMON = ["-nographic", "-m", "64"]


def check(ok, what, vm):
    if not ok:
        print("FAIL: %s; serial output:\n%s" % (what, vm.output.decode(errors="replace")))
        return False
    return True


def boot_d(workdir):
    iso = boot_vm.cdboot_iso(workdir)
    with boot_vm.Vm(BINARY, COMMON + ["-cdrom", iso, "-boot", "d"]) as vm:
        if not check(vm.wait_serial(CD_LINE, DEADLINE_S), "the CD boot image did not run", vm):
            return 1
        # The image resets the machine; -boot d (unlike once=d) stays.
        if not check(vm.wait_serial(CD_BANNER, DEADLINE_S, count=2) and
                     vm.output.count(b"SeaBIOS (version") >= 2 and b"Hard Disk" not in vm.output,
                     "the CD did not boot again after the reset", vm):
            return 1
        print("PASS: -boot d booted the El Torito image in %.1f s" % vm.elapsed())
        return 0


def order_dc(workdir):
    disk = boot_vm.bootsector_disk(workdir)
    args = COMMON + ["-drive", "file=%s,format=raw,if=ide" % disk,
                     "-drive", "if=ide,index=2,media=cdrom", "-boot", "order=dc"]
    with boot_vm.Vm(BINARY, args) as vm:
        if not check(vm.wait_serial(DISK_LINE, DEADLINE_S), "no disk boot after the empty CD drive", vm):
            return 1
        cd = vm.output.find(b"Booting from DVD/CD")
        disk_at = vm.output.find(b"Booting from Hard Disk")
        if not check(0 <= cd < disk_at, "the CD drive was not tried before the disk", vm):
            return 1
        print("PASS: order=dc fell through the empty CD drive to the disk in %.1f s" % vm.elapsed())
        return 0


def once_d(workdir):
    disk = boot_vm.bootsector_disk(workdir)
    iso = boot_vm.cdboot_iso(workdir)
    args = COMMON + ["-drive", "file=%s,format=raw,if=ide" % disk, "-cdrom", iso, "-boot", "once=d"]
    with boot_vm.Vm(BINARY, args) as vm:
        if not check(vm.wait_serial(DISK_LINE, DEADLINE_S), "no disk boot after the CD's reset", vm):
            return 1
        banners = vm.output.count(b"SeaBIOS (version")
        cd_boots = vm.output.count(CD_BANNER)
        first_disk = vm.output.find(DISK_LINE)
        if not check(banners == 2 and cd_boots == 1 and vm.output.find(CD_LINE) < first_disk,
                     "expected one CD boot, a reset, then the disk (%d banners, %d CD boots)"
                     % (banners, cd_boots), vm):
            return 1
        print("PASS: once=d booted the CD once, then the disk after the reset, in %.1f s" % vm.elapsed())
        return 0


CASES = {"boot-d": boot_d, "order-dc": order_dc, "once-d": once_d}


def main():
    missing = boot_vm.missing_tools(["as", "ld", "objcopy", "xorriso"])
    if missing:
        print("FAIL: missing %s (scripts/setup.sh installs them)" % " ".join(missing))
        return 1
    with tempfile.TemporaryDirectory() as workdir:
        return CASES[CASE](workdir)


if __name__ == "__main__":
    sys.exit(main())
