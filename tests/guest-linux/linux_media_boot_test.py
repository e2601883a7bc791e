#!/usr/bin/env python3
"""The direct-boot test guest (build_guest.py) booted through SeaBIOS from
boot media the test builds without root:

    linux_media_boot_test.py EMULATOR MIMIC_IMG disk|cdrom

disk   an unpartitioned FAT image (mformat) made bootable by `syslinux
       --install` (mtools mode), holding vmlinuz, initrd.img and
       syslinux.cfg, converted to qcow2 by MIMIC_IMG and booted with -hda.
       The guest's disk check reads /dev/sda (the boot disk itself) and
       writes at byte 65536, inside the FAT's reserved sectors; afterwards
       the write must be in the qcow2 and `MIMIC_IMG check` must pass.
cdrom  an ISOLINUX ISO (xorriso) booted with -cdrom ISO -boot d; the disk
       check runs on a raw data disk as in linux_boot_test.py.

Both pass the kernel what linux_boot_test.py does, plus mimic.end=poweroff:
the guest powers off through ACPI S5, which must end the emulator with
status 0 (-no-reboot is not needed for that, so it is not given).
"""
import argparse
import hashlib
import os
import shutil
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import build_guest  # noqa: E402
import linux_boot_test  # noqa: E402

RAM_MB = linux_boot_test.RAM_MB
WRITE_OFFSET = 65536
# FAT reserved sectors: the boot sector, then zeros up to past the guest's
# 64 KiB read and its write at 64 KiB, so neither touches the file system.
RESERVED_SECTORS = 200
FAT_SECTORS = 65536  # 32 MiB


def run(command, **kwargs):
    print(" ".join(command), flush=True)
    return subprocess.run(command, check=True, **kwargs)


def append_line(md5, word):
    return (build_guest.BASE_APPEND + " mimic.cpus=1 mimic.mem_mb=%d mimic.disk=%s mimic.write=%s mimic.end=poweroff" %
            (RAM_MB, md5, word))


def boot_config(kernel, initrd, append):
    return "DEFAULT linux\nLABEL linux\n  KERNEL %s\n  INITRD %s\n  APPEND %s\n" % (kernel, initrd, append)


def make_syslinux_disk(workdir, guest, word, mimic_img):
    """Returns (qcow2 path, md5 of the image's first 64 KiB)."""
    raw = os.path.join(workdir, "boot.img")
    with open(raw, "wb") as f:
        f.truncate(FAT_SECTORS * 512)
    run(["mformat", "-i", raw, "-T", str(FAT_SECTORS), "-h", "16", "-s", "63",
         "-R", str(RESERVED_SECTORS), "-v", "MIMIC", "::"])
    run(["syslinux", "--install", raw])
    with open(raw, "rb") as f:
        md5 = hashlib.md5(f.read(65536)).hexdigest()
    config = os.path.join(workdir, "syslinux.cfg")
    with open(config, "w") as f:
        f.write(boot_config("vmlinuz", "initrd.img", append_line(md5, word)))
    run(["mcopy", "-i", raw, os.path.join(guest, "vmlinuz"), os.path.join(guest, "initrd.img"), config, "::"])
    with open(raw, "rb") as f:
        if hashlib.md5(f.read(65536)).hexdigest() != md5:
            raise RuntimeError("copying files changed the reserved sectors")
    qcow2 = os.path.join(workdir, "boot.qcow2")
    run([mimic_img, "convert", "-f", "raw", "-O", "qcow2", raw, qcow2])
    return qcow2, md5


def make_isolinux_iso(workdir, guest, md5, word):
    root = os.path.join(workdir, "isoroot")
    os.makedirs(os.path.join(root, "isolinux"))
    for path in ("/usr/lib/ISOLINUX/isolinux.bin", "/usr/lib/syslinux/modules/bios/ldlinux.c32"):
        shutil.copy(path, os.path.join(root, "isolinux"))
    for name in ("vmlinuz", "initrd.img"):
        shutil.copy(os.path.join(guest, name), root)
    with open(os.path.join(root, "isolinux", "isolinux.cfg"), "w") as f:
        f.write(boot_config("/vmlinuz", "/initrd.img", append_line(md5, word)))
    iso = os.path.join(workdir, "boot.iso")
    run(["xorriso", "-as", "mkisofs", "-quiet", "-o", iso, "-b", "isolinux/isolinux.bin",
         "-c", "isolinux/boot.cat", "-no-emul-boot", "-boot-load-size", "4", "-boot-info-table", root])
    return iso


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("emulator")
    parser.add_argument("mimic_img")
    parser.add_argument("media", choices=["disk", "cdrom"])
    args = parser.parse_args()

    guest = build_guest.build(build_guest.cache_dir())
    word = "w%d" % os.getpid()
    with tempfile.TemporaryDirectory() as workdir:
        command = [args.emulator, "-m", str(RAM_MB), "-nographic"]
        if args.media == "disk":
            disk, _ = make_syslinux_disk(workdir, guest, word, args.mimic_img)
            command += ["-hda", disk]
        else:
            disk = os.path.join(workdir, "data.raw")
            md5 = linux_boot_test.make_disk(disk)
            command += ["-cdrom", make_isolinux_iso(workdir, guest, md5, word), "-boot", "d",
                        "-drive", "file=%s,format=raw,if=ide" % disk]
        text, code = linux_boot_test.run_vm(command)
        passed = "MIMIC-GUEST: PASS" in text
        powered_off = "reboot: Power down" in text

        checked = True
        contents = disk
        if args.media == "disk":
            checked = subprocess.run([args.mimic_img, "check", disk]).returncode == 0
            contents = os.path.join(workdir, "after.raw")
            run([args.mimic_img, "convert", "-f", "qcow2", "-O", "raw", disk, contents])
        with open(contents, "rb") as f:
            f.seek(WRITE_OFFSET)
            written = f.read(64).startswith(("MIMIC-GUEST-WROTE:%s\n" % word).encode())
        ok = passed and powered_off and code == 0 and written and checked
        print("%s: guest %s, %s, emulator exit status %s, guest's write %s, image check %s" % (
            "PASS" if ok else "FAIL", "reported PASS" if passed else "did not report PASS",
            "powered off" if powered_off else "did not power off", code,
            "found in the image" if written else "not in the image", "passed" if checked else "failed"))
        return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
