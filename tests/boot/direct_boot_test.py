#!/usr/bin/env python3
"""Direct kernel boot (-kernel/-initrd/-append) through SeaBIOS and Mimic's
option ROMs, on the default pc machine under the translator.

Test kernels written for this test (assembled here with GNU as) report
what they were given through debugcon and exit through isa-debug-exit:
  bzimage_guest.S    a bzImage: setup header, real-mode setup entered at
                     0x1000+0x20:0 that reads the E820 map and switches to
                     protected mode, a 32-bit kernel at 1 MiB; and with
                     -DZIMAGE an old zImage (setup at 0x90000, kernel at
                     0x10000, the 0xA33F command line protocol);
  multiboot_guest.S  a multiboot v1 kernel, as an ELF and as a flat binary
                     using the a.out kludge, with two modules.
The test compares every reported value with the files and text it passed.
Then the one-line errors for bad -kernel/-initrd input.
Exits 77 (skip) without SeaBIOS or binutils.
"""
import os
import re
import resource
import shutil
import subprocess
import sys
import tempfile
import unittest

BINARY = sys.argv.pop(1) if len(sys.argv) > 1 else "build/mimic-system-x86_64"
HERE = os.path.dirname(os.path.abspath(__file__))
PREFIX = "mimic-system-x86_64: "
RAM_MB = 128
# QEMU's pc keeps the top of low RAM for the firmware's tables.
ACPI_DATA_SIZE = 0x20000
TIMEOUT_S = 240
INITRD_ADDR_MAX = 0x37ffffff  # bzimage_guest.S's header


def checksum(data):
    """The test kernels' checksum: sum = sum * 31 + byte, 32 bits."""
    total = 0
    for byte in data:
        total = (total * 31 + byte) & 0xFFFFFFFF
    return total


def pattern(size, seed):
    """Deterministic bytes that are not all alike."""
    out = bytearray(size)
    x = seed
    for i in range(size):
        x = (x * 1103515245 + 12345) & 0x7FFFFFFF
        out[i] = (x >> 16) & 0xFF
    return bytes(out)


def assemble_linux(workdir, name, zimage=False):
    return assemble(workdir, "bzimage_guest.S", name,
                    ["--defsym", "PM_BASE=%#x" % (0x10000 if zimage else 0x100000),
                     "-T", os.path.join(HERE, "bzimage_guest.ld")],
                    defines=["-DZIMAGE"] if zimage else [])


def assemble(workdir, source, name, linker_args, defines=(), flat=True):
    src = os.path.join(HERE, source)
    pre, obj, elf = (os.path.join(workdir, name + ext) for ext in (".s", ".o", ".elf"))
    subprocess.run(["cpp", "-P", *defines, "-I" + HERE, src, "-o", pre], check=True)
    subprocess.run(["as", "--32", "-I", HERE, "-o", obj, pre], check=True)
    subprocess.run(["ld", "-m", "elf_i386", "--no-warn-rwx-segments", *linker_args, "-o", elf, obj], check=True)
    if not flat:
        return elf
    out = os.path.join(workdir, name + ".bin")
    subprocess.run(["objcopy", "-O", "binary", elf, out], check=True)
    return out


def run_vm(workdir, *args, ram_mb=RAM_MB):
    """Runs the VM to its isa-debug-exit; returns (exit code, debugcon text, stderr)."""
    out = os.path.join(workdir, "debugcon.out")
    if os.path.exists(out):
        os.unlink(out)
    done = subprocess.run(
        [BINARY, "-m", str(ram_mb), "-display", "none", "-debugcon", "file:" + out,
         "-device", "isa-debug-exit,iobase=0xf4,iosize=0x04", *args],
        stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=TIMEOUT_S)
    text = ""
    if os.path.exists(out):
        with open(out, errors="replace") as f:
            text = f.read()
    return done.returncode, text, done.stderr


def field(text, name):
    match = re.search("^" + re.escape(name) + "=(.*)$", text, re.M)
    return match.group(1) if match else None


class DirectBoot(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.TemporaryDirectory()
        cls.workdir = cls.tmp.name
        w = cls.workdir
        cls.bzimage = assemble_linux(w, "bzimage")
        cls.zimage = assemble_linux(w, "zimage", zimage=True)
        cls.mb_elf = assemble(w, "multiboot_guest.S", "mb_elf", ["-N", "-Ttext=0x100000", "-e", "_start"],
                              flat=False)
        cls.mb_aout = assemble(w, "multiboot_guest.S", "mb_aout", ["-N", "-Ttext=0x100000", "-e", "_start"],
                               defines=["-DAOUT_KLUDGE"])
        cls.initrd = os.path.join(w, "initrd.img")
        cls.initrd_data = pattern((1 << 20) + 123, 7)
        with open(cls.initrd, "wb") as f:
            f.write(cls.initrd_data)

    @classmethod
    def tearDownClass(cls):
        cls.tmp.cleanup()

    def e820(self, text):
        """[(base, length, type)] from the kernel's report."""
        entries = []
        for line in re.findall(r"^(?:E820|MMAP) ([0-9a-f]{16}) ([0-9a-f]{16}) ([0-9a-f]{8})$", text, re.M):
            entries.append(tuple(int(v, 16) for v in line))
        return entries

    def check_bzimage(self, *extra, ram_mb=RAM_MB):
        """Boots the bzImage; returns the initrd's (address, size)."""
        cmdline = "console=ttyS0 mimic.test=direct-boot root=/dev/ram0 quiet"
        code, text, err = run_vm(self.workdir, *extra, "-kernel", self.bzimage, "-initrd", self.initrd,
                                 "-append", cmdline, ram_mb=ram_mb)
        self.assertEqual(code, 1, "exit status %d\n%s\n%s" % (code, text, err))
        self.assertIn("setup: entered at setup segment + 0x20", text)
        self.assertIn("pm: entered at code32_start", text)
        self.assertEqual(field(text, "LOADER"), "000000b0")  # QEMU's loader ID
        self.assertEqual(field(text, "CMDLINE"), cmdline)
        addr, size, total = (int(v, 16) for v in field(text, "INITRD").split())
        self.assertEqual(size, len(self.initrd_data))
        self.assertEqual(total, checksum(self.initrd_data))
        self.assertEqual(addr % 4096, 0)
        self.assertLessEqual(addr + size, INITRD_ADDR_MAX + 1)
        entries = self.e820(text)
        region = [base + length for base, length, kind in entries
                  if base <= addr and addr + size <= base + length and kind == 1]
        self.assertTrue(region, "initrd outside usable RAM: %s" % entries)
        self.assertIn("TAIL ok", text)
        self.assertIn("PASS", text)
        return addr, size, region[0]

    def test_bzimage(self):
        # RAM below initrd_addr_max: the initrd ends at the top of RAM the
        # BIOS reports (INT 15h E801, in 64 KiB units), as with QEMU.
        addr, size, ram_end = self.check_bzimage()
        self.assertLess(ram_end - (addr + size), 0x10000 + 4096)

    def test_bzimage_initrd_addr_max(self):
        # More RAM than initrd_addr_max: the initrd ends just below it.
        addr, size, _ = self.check_bzimage(ram_mb=1024)
        self.assertGreater(addr + size + 4096, INITRD_ADDR_MAX + 1)

    def test_bzimage_interpreter(self):
        # SeaBIOS, the option ROM and the kernel on the IR interpreter too.
        self.check_bzimage("-accel", "tcg,backend=interp")

    def test_zimage(self):
        cmdline = "console=ttyS0 an old kernel"
        code, text, err = run_vm(self.workdir, "-kernel", self.zimage, "-append", cmdline)
        self.assertEqual(code, 1, "exit status %d\n%s\n%s" % (code, text, err))
        self.assertIn("setup: old command line protocol", text)
        self.assertEqual(field(text, "LOADER"), "00000000")  # no type_of_loader before 2.00
        self.assertEqual(field(text, "CMDLINE"), cmdline)
        self.assertIn("TAIL ok", text)
        self.assertIn("PASS", text)

    def check_multiboot(self, kernel):
        mod1 = os.path.join(self.workdir, "module-one.bin")
        mod2 = os.path.join(self.workdir, "module,two.bin")
        data1, data2 = pattern(5000, 3), pattern(12345, 11)
        with open(mod1, "wb") as f:
            f.write(data1)
        with open(mod2, "wb") as f:
            f.write(data2)
        modules = "%s first arg=1,%s" % (mod1, mod2.replace(",", ",,"))
        code, text, err = run_vm(self.workdir, "-kernel", kernel, "-initrd", modules, "-append", "hello multiboot")
        self.assertEqual(code, 1, "exit status %d\n%s\n%s" % (code, text, err))
        self.assertIn("multiboot: entered", text)
        self.assertEqual(field(text, "CMDLINE"), kernel + " hello multiboot")
        self.assertEqual(field(text, "LOADER"), "mimic")
        self.assertEqual(int(field(text, "MODS"), 16), 2)
        mods = re.findall(r"^MOD ([0-9a-f]{8}) ([0-9a-f]{8}) ([0-9a-f]{8}) (.*)$", text, re.M)
        self.assertEqual(len(mods), 2)
        for (start, end, total, string), data, expected in zip(
                mods, (data1, data2), ("%s first arg=1" % mod1, mod2)):
            start, end, total = int(start, 16), int(end, 16), int(total, 16)
            self.assertEqual(start % 4096, 0)
            self.assertEqual(end - start, len(data))
            self.assertEqual(total, checksum(data))
            self.assertEqual(string, expected)
        entries = self.e820(text)
        ram_at_1m = [length for base, length, kind in entries if base == 0x100000 and kind == 1]
        self.assertEqual(len(ram_at_1m), 1, entries)
        self.assertTrue(any(base == 0 and kind == 1 for base, length, kind in entries), entries)
        lower, upper = (int(v, 16) for v in field(text, "MEM").split())
        self.assertEqual(upper, ram_at_1m[0] // 1024)
        self.assertTrue(600 <= lower <= 640, lower)
        self.assertIn("PASS", text)

    def test_multiboot_elf(self):
        self.check_multiboot(self.mb_elf)

    def test_multiboot_aout_kludge(self):
        self.check_multiboot(self.mb_aout)

    def test_multiboot_below_1m(self):
        # Linked at 32 KiB like kvm-unit-tests' real-mode test: over the
        # 0x9000 the information structure usually takes, so it moves.
        for name, defines, flat in (("mb_low_elf", [], False), ("mb_low_aout", ["-DAOUT_KLUDGE"], True)):
            with self.subTest(name):
                kernel = assemble(self.workdir, "multiboot_guest.S", name, ["-N", "-Ttext=0x8000", "-e", "_start"],
                                  flat=flat, defines=defines)
                self.check_multiboot(kernel)


def limit_address_space():
    """A read of /dev/zero or of a sparse giant then ends the process rather
    than going through."""
    resource.setrlimit(resource.RLIMIT_AS, (1536 << 20, 1536 << 20))


class BadInput(unittest.TestCase):
    def assert_one_line_error(self, expected, *args):
        done = subprocess.run([BINARY, "-display", "none", *args], capture_output=True, text=True,
                              timeout=60, stdin=subprocess.DEVNULL, preexec_fn=limit_address_space)
        self.assertEqual(done.returncode, 1, done.stderr)
        self.assertEqual(done.stderr, PREFIX + expected + "\n")

    def test_missing_kernel(self):
        self.assert_one_line_error(
            "could not open kernel file '/nonexistent/bzImage': No such file or directory",
            "-kernel", "/nonexistent/bzImage")

    def test_not_a_kernel(self):
        with tempfile.NamedTemporaryFile(suffix=".txt") as f:
            f.write(b"this is a text file, not a kernel\n" * 100)
            f.flush()
            self.assert_one_line_error("invalid kernel header", "-kernel", f.name)

    def test_empty_kernel(self):
        with tempfile.NamedTemporaryFile() as f:
            self.assert_one_line_error("could not load kernel '%s': the file is empty" % f.name, "-kernel", f.name)

    def test_kernel_larger_than_ram(self):
        with tempfile.TemporaryDirectory() as workdir:
            kernel = os.path.join(workdir, "huge")
            with open(kernel, "wb") as f:
                f.truncate(40 << 20)
            self.assert_one_line_error(
                "could not load kernel '%s': it is larger than the guest's RAM below 4 GiB" % kernel,
                "-m", "32", "-kernel", kernel)

    def test_kernel_that_is_no_file(self):
        with tempfile.TemporaryDirectory() as workdir:
            self.assert_one_line_error("could not load kernel '%s': Is a directory" % workdir, "-kernel", workdir)
        self.assert_one_line_error("could not load kernel '/dev/zero': Not a regular file", "-kernel", "/dev/zero")

    def test_giant_kernel_is_not_read(self):
        with tempfile.TemporaryDirectory() as workdir:
            kernel = os.path.join(workdir, "giant")
            with open(kernel, "wb") as f:
                f.truncate(3 << 30)
            self.assert_one_line_error(
                "could not load kernel '%s': it is larger than the guest's RAM below 4 GiB" % kernel,
                "-kernel", kernel)

    def test_initrd_that_is_no_file(self):
        with tempfile.TemporaryDirectory() as workdir:
            kernel = assemble_linux(workdir, "bzimage")
            self.assert_one_line_error("error reading initrd %s: Is a directory" % workdir,
                                       "-kernel", kernel, "-initrd", workdir)
            self.assert_one_line_error("error reading initrd /dev/zero: Not a regular file",
                                       "-kernel", kernel, "-initrd", "/dev/zero")

    def test_giant_initrd_is_not_read(self):
        with tempfile.TemporaryDirectory() as workdir:
            kernel = assemble_linux(workdir, "bzimage")
            initrd = os.path.join(workdir, "giant")
            with open(initrd, "wb") as f:
                f.truncate(3 << 30)
            max_addr = (RAM_MB << 20) - ACPI_DATA_SIZE - 1
            self.assert_one_line_error(
                "initrd is too large, cannot support.(max: %d, need %d)" % (max_addr, 3 << 30),
                "-m", str(RAM_MB), "-kernel", kernel, "-initrd", initrd)

    def test_module_that_is_no_file(self):
        with tempfile.TemporaryDirectory() as workdir:
            kernel = assemble(workdir, "multiboot_guest.S", "mb", ["-N", "-Ttext=0x100000", "-e", "_start"],
                              flat=False)
            giant = os.path.join(workdir, "giant")
            with open(giant, "wb") as f:
                f.truncate(3 << 30)
            for module in (workdir, "/dev/zero"):
                self.assert_one_line_error("Failed to open file '%s'" % module, "-kernel", kernel, "-initrd", module)
            self.assert_one_line_error(
                "could not load kernel '%s': the kernel and its modules do not fit in the guest's RAM" % kernel,
                "-kernel", kernel, "-initrd", giant)

    def test_multiboot_elf_larger_than_ram_is_not_allocated(self):
        # A 4 KiB ELF whose one segment claims 3.75 GiB of memory.
        import struct
        phdr = struct.pack("<8I", 1, 0, 0x100000, 0x100000, 4096, 0xF0000000, 5, 0x1000)
        ehdr = struct.pack("<16sHHIIIIIHHHHHH", b"\x7fELF\x01\x01\x01" + bytes(9), 2, 3, 1, 0x100000, 52, 0, 0,
                           52, 32, 1, 0, 0, 0)
        magic = 0x1BADB002
        header = struct.pack("<3I", magic, 0, (-magic) & 0xFFFFFFFF)
        image = (ehdr + phdr + header).ljust(4096, b"\0")
        with tempfile.TemporaryDirectory() as workdir:
            kernel = os.path.join(workdir, "giant.elf")
            with open(kernel, "wb") as f:
                f.write(image)
            self.assert_one_line_error("could not load kernel '%s': it does not fit in the guest's RAM" % kernel,
                                       "-kernel", kernel)

    def test_multiboot_over_the_bios_data(self):
        with tempfile.TemporaryDirectory() as workdir:
            kernel = assemble(workdir, "multiboot_guest.S", "mb", ["-N", "-Ttext=0x1000", "-e", "_start"],
                              flat=False)
            self.assert_one_line_error(
                f"could not load kernel '{kernel}': it loads over the BIOS data and the loader's stack (at 0x1000)",
                "-kernel", kernel)

    def test_64bit_multiboot_elf(self):
        with tempfile.TemporaryDirectory() as workdir:
            src = os.path.join(workdir, "mb64.S")
            with open(src, "w") as f:
                f.write(".text\n.globl _start\n_start:\n.long 0x1badb002, 0, -0x1badb002\nhlt\n")
            obj, elf = os.path.join(workdir, "mb64.o"), os.path.join(workdir, "mb64.elf")
            subprocess.run(["as", "--64", "-o", obj, src], check=True)
            subprocess.run(["ld", "-Ttext=0x100000", "-o", elf, obj], check=True)
            self.assert_one_line_error("Cannot load x86-64 image, give a 32bit one.", "-kernel", elf)

    def test_missing_initrd(self):
        with tempfile.TemporaryDirectory() as workdir:
            kernel = assemble_linux(workdir, "bzimage")
            self.assert_one_line_error(
                "error reading initrd /nonexistent/initrd: No such file or directory",
                "-kernel", kernel, "-initrd", "/nonexistent/initrd")

    def test_initrd_too_large(self):
        with tempfile.TemporaryDirectory() as workdir:
            kernel = assemble_linux(workdir, "bzimage")
            initrd = os.path.join(workdir, "big")
            with open(initrd, "wb") as f:
                f.truncate(40 << 20)
            max_addr = (32 << 20) - ACPI_DATA_SIZE - 1
            self.assert_one_line_error(
                "initrd is too large, cannot support.(max: %d, need %d)" % (max_addr, 40 << 20),
                "-m", "32", "-kernel", kernel, "-initrd", initrd)

    def test_zimage_with_initrd(self):
        with tempfile.TemporaryDirectory() as workdir:
            kernel = assemble_linux(workdir, "zimage", zimage=True)
            self.assert_one_line_error("linux kernel too old to load a ram disk",
                                       "-kernel", kernel, "-initrd", kernel)

    def test_missing_module(self):
        with tempfile.TemporaryDirectory() as workdir:
            kernel = assemble(workdir, "multiboot_guest.S", "mb", ["-N", "-Ttext=0x100000", "-e", "_start"],
                              flat=False)
            self.assert_one_line_error("Failed to open file '/nonexistent/mod'",
                                       "-kernel", kernel, "-initrd", "/nonexistent/mod args")

    def test_initrd_without_kernel(self):
        self.assert_one_line_error("-initrd only allowed with -kernel option", "-initrd", "/x")

    def test_append_without_kernel(self):
        self.assert_one_line_error("-append only allowed with -kernel option", "-append", "quiet")


if __name__ == "__main__":
    if not os.path.exists("/usr/share/seabios/bios.bin") or not shutil.which("as"):
        print("SKIP: needs seabios and binutils")
        sys.exit(77)
    unittest.main(verbosity=2)
