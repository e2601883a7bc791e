#!/usr/bin/env python3
"""The real binary's command line: listings exit 0, bad input is one line + exit 1."""
import shutil
import subprocess
import sys
import unittest

BINARY = sys.argv.pop(1) if len(sys.argv) > 1 else "build/mimic-system-x86_64"
PREFIX = "mimic-system-x86_64: "


def run(*args):
    done = subprocess.run([BINARY, *args], capture_output=True, text=True, timeout=30,
                          stdin=subprocess.DEVNULL)
    return done.returncode, done.stdout, done.stderr


class Listings(unittest.TestCase):
    def test_version(self):
        code, out, _ = run("-version")
        self.assertEqual(code, 0)
        self.assertTrue(out.startswith("Mimic emulator version "))
        # Harnesses such as kvm-unit-tests accept a binary whose help names QEMU.
        self.assertIn("(QEMU 7.2.0 compatible)", out.splitlines()[0])

    def test_help(self):
        code, out, _ = run("-help")
        self.assertEqual(code, 0)
        self.assertIn("usage: mimic-system-x86_64 [options] [disk_image]", out)

    def test_machine_help(self):
        code, out, _ = run("-machine", "help")
        self.assertEqual(code, 0)
        self.assertIn("pc                   Standard PC (i440FX + PIIX, 1996) (alias of pc-i440fx-7.2)", out)
        # As QEMU: each machine after its alias.
        self.assertIn("q35                  Standard PC (Q35 + ICH9, 2009) (alias of pc-q35-7.2)\n"
                      "pc-q35-7.2           Standard PC (Q35 + ICH9, 2009)\n", out)

    def test_cpu_help(self):
        code, out, _ = run("-cpu", "help")
        self.assertEqual(code, 0)
        self.assertIn("x86 qemu64                (alias configured by machine type)\n", out)
        self.assertIn("x86 qemu64-v1             QEMU Virtual CPU version 2.5+\n", out)
        self.assertIn("x86 Skylake-Client-noTSX-IBRS  (alias of Skylake-Client-v3)\n", out)
        self.assertIn("x86 host                  processor with all supported host features \n", out)
        # The models are QEMU 7.2's, byte for byte; Mimic lists no CPUID flags after them.
        qemu = shutil.which("qemu-system-x86_64")
        if qemu:
            theirs = subprocess.run([qemu, "-cpu", "help"], capture_output=True, text=True).stdout
            self.assertEqual(out, theirs.split("\n\n")[0] + "\n")

    def test_device_help(self):
        code, out, _ = run("-device", "help")
        self.assertEqual(code, 0)
        self.assertIn('name "isa-debug-exit", bus ISA', out)
        self.assertIn('name "edu", bus PCI\n', out)  # QEMU gives it no description

    def test_edu_properties(self):
        # dma_mask is a plain QOM property in QEMU 7.2: no default shown.
        code, out, _ = run("-device", "edu,help")
        self.assertEqual(code, 0)
        self.assertIn("edu options:\n", out)
        self.assertIn("  dma_mask=<uint64>\n", out)

    def test_object_help(self):
        # QEMU 7.2 lists every user-creatable type it has; these are Mimic's.
        for spec in ("help", "?"):
            code, out, _ = run("-object", spec)
            self.assertEqual(code, 0)
            self.assertEqual(out, "List of user creatable objects:\n  iothread\n  rng-builtin\n  rng-random\n  secret\n")

    def test_object_properties_help(self):
        # Byte for byte what qemu-system-x86_64 7.2 prints: plain QOM property
        # types ("int", "string"), settable ones only, sorted, no defaults.
        code, out, _ = run("-object", "iothread,help")
        self.assertEqual(code, 0)
        self.assertEqual(out, "iothread options:\n  aio-max-batch=<int>\n  poll-grow=<int>\n  poll-max-ns=<int>\n"
                              "  poll-shrink=<int>\n  thread-pool-max=<int>\n  thread-pool-min=<int>\n")
        code, out, _ = run("-object", "secret,id=x,help")
        self.assertEqual(code, 0)
        self.assertEqual(out, "secret options:\n  data=<string>\n  file=<string>\n  format=<QCryptoSecretFormat>\n"
                              "  iv=<string>\n  keyid=<string>\n")
        code, out, _ = run("-object", "user-creatable,help")
        self.assertEqual((code, out), (0, "There are no options for user-creatable.\n"))

    def test_device_properties(self):
        code, out, _ = run("-device", "isa-serial,help")
        self.assertEqual(code, 0)
        self.assertIn("chardev=", out)

    def test_vga_edid_properties(self):
        # The lines qemu-system-x86_64 7.2 prints for them.
        code, out, _ = run("-device", "VGA,help")
        self.assertEqual(code, 0)
        for line in ("  edid=<bool>            - on/off (default: true)\n",
                     "  refresh_rate=<uint32>  -  (default: 0)\n",
                     "  xmax=<uint32>          -  (default: 0)\n"
                     "  xres=<uint32>          -  (default: 0)\n"
                     "  ymax=<uint32>          -  (default: 0)\n"
                     "  yres=<uint32>          -  (default: 0)\n"):
            self.assertIn(line, out)


class BadInput(unittest.TestCase):
    def assert_one_line_error(self, expected, *args):
        code, out, err = run(*args)
        self.assertEqual(code, 1, err)
        self.assertEqual(err, PREFIX + expected + "\n")

    def test_memory(self):
        code, _, err = run("-m", "foo")
        self.assertEqual(code, 1)
        self.assertEqual(err, PREFIX + "-m foo: Parameter 'size' expects a non-negative number below 2^64\n"
                         "Optional suffix k, M, G, T, P or E means kilo-, mega-, giga-, tera-, peta-\n"
                         "and exabytes, respectively.\n")

    def test_impossible_memory(self):
        self.assert_one_line_error(
            "cannot set up guest memory 'pc.ram': Cannot allocate memory",
            "-m", "8E", "-accel", "qtest")

    def test_smp_zero(self):
        self.assert_one_line_error(
            "-smp 0: Invalid CPU topology: CPU topology parameters must be greater than zero",
            "-smp", "0")

    def test_missing_image(self):
        self.assert_one_line_error(
            "-drive file=x: Could not open 'x': No such file or directory", "-drive", "file=x")

    def test_ide_drive_numbering_per_machine(self):
        # QEMU's texts: two units per PIIX channel, one per q35 AHCI port
        # (-cdrom is index 2: bus 1 unit 0 on pc, port 2 on q35).
        self.assert_one_line_error(
            "-drive if=ide,unit=1,file=/dev/null,format=raw: unit 1 too big (max is 0)",
            "-M", "q35", "-nodefaults", "-drive", "if=ide,unit=1,file=/dev/null,format=raw", "-accel", "qtest")
        for machine, bus in (("pc", 1), ("q35", 2)):
            with self.subTest(machine=machine):
                self.assert_one_line_error(
                    f"-drive if=ide,index=2,file=/dev/null,format=raw: drive with bus={bus}, unit=0 (index=2) exists",
                    "-M", machine, "-cdrom", "/dev/null", "-drive", "if=ide,index=2,file=/dev/null,format=raw",
                    "-accel", "qtest")

    def test_ide_disk_without_media(self):
        self.assert_one_line_error(
            "-drive if=ide: Device needs media, but drive is empty",
            "-drive", "if=ide", "-accel", "qtest")

    def test_netdev(self):
        self.assert_one_line_error("-netdev bogus: Parameter 'id' is missing", "-netdev", "bogus")
        self.assert_one_line_error("-netdev bogus,id=x: Parameter 'type' does not accept value 'bogus'",
                                   "-netdev", "bogus,id=x")

    def test_unknown_option(self):
        self.assert_one_line_error("-bogus: invalid option", "-bogus")

    def test_object_errors_are_qemus(self):
        # QEMU 7.2's texts: option-level errors carry the option, completing does not.
        for spec, expected in (
            ("secret,id=s0", "Either 'file' or 'data' must be provided"),
            ("secret,id=s0,data=a,file=/x", "'file' and 'data' are mutually exclusive"),
            ("secret,id=s0,file=/nonexistent",
             "Unable to read /nonexistent: Failed to open file \u201c/nonexistent\u201d: No such file or directory"),
            ("secret,id=s0,data=x,format=foo", "-object secret,id=s0,data=x,format=foo: "
                                               "Parameter 'format' does not accept value 'foo'"),
            ("bogus,id=x", "-object bogus,id=x: Parameter 'qom-type' does not accept value 'bogus'"),
            ("secret,data=x", "-object secret,data=x: Parameter 'id' is missing"),
            ("secret,id=9x,data=x", "-object secret,id=9x,data=x: Parameter 'id' expects an identifier"),
            ("secret,id=s0,data=x,bogus=1", "-object secret,id=s0,data=x,bogus=1: Invalid parameter 'bogus'"),
            ("iothread,id=io0,poll-max-ns=x",
             "-object iothread,id=io0,poll-max-ns=x: Parameter 'poll-max-ns' expects an int64 value"),
            # The setters' own checks come without the option.
            ("iothread,id=io0,poll-max-ns=-1", "poll-max-ns value must be in range [0, 9223372036854775807]"),
            ("iothread,id=io0,thread-pool-max=-1",
             "thread-pool-max value must be in range [0, 9223372036854775807]"),
            ("iothread,id=io0,thread-pool-min=2,thread-pool-max=1", "bad thread-pool-min/thread-pool-max values"),
            ("iothread,id=io0,thread-pool-max=0", "bad thread-pool-min/thread-pool-max values"),
            ("bogus,help", "-object bogus,help: Parameter 'qom-type' does not accept value 'bogus'"),
            (",help", "-object ,help: Parameter 'qom-type' does not accept value ''"),
            ("id=x,help", "-object id=x,help: Parameter 'qom-type' is missing"),
        ):
            with self.subTest(spec=spec):
                self.assert_one_line_error(expected, "-object", spec)

    def test_duplicate_object_id(self):
        self.assert_one_line_error("-object secret,id=s0,data=b: Duplicate ID 's0' for object",
                                   "-object", "secret,id=s0,data=a", "-object", "secret,id=s0,data=b")

    def test_unknown_device_property(self):
        self.assert_one_line_error(
            "-device isa-debug-exit,bogus=1: Property 'isa-debug-exit.bogus' not found",
            "-accel", "qtest", "-device", "isa-debug-exit,bogus=1")

    def test_device_help_of_unknown_or_abstract_type(self):
        self.assert_one_line_error("-device bogus,help: Device 'bogus' not found", "-device", "bogus,help")
        self.assert_one_line_error("-device pci-device,help: Parameter 'typename' expects a non-abstract device type",
                                   "-device", "pci-device,help")

    def test_unknown_cpu_feature(self):
        self.assert_one_line_error(
            "can't apply global qemu64-x86_64-cpu.bogus=on: "
            "Property 'qemu64-x86_64-cpu.bogus' not found", "-cpu", "qemu64,+bogus")

    def test_cpu_vendor_is_twelve_characters(self):
        self.assert_one_line_error(
            "can't apply global qemu64-x86_64-cpu.vendor=Intel: Property '.vendor' doesn't take value 'Intel'",
            "-cpu", "qemu64,vendor=Intel")

    def test_reboot_timeout_out_of_range(self):
        self.assert_one_line_error(
            "reboot timeout is invalid,it should be a value between -1 and 65535",
            "-accel", "qtest", "-boot", "reboot-timeout=70000")

    def test_phys_bits_limits(self):
        self.assert_one_line_error("phys-bits should be between 32 and 52  (but is 53)",
                                   "-cpu", "qemu64,phys-bits=53")
        self.assert_one_line_error("phys-bits is not user-configurable in 32 bit",
                                   "-cpu", "qemu32,phys-bits=36")

    def test_unknown_cpu(self):
        self.assert_one_line_error("unable to find CPU model 'bogus'", "-cpu", "bogus")

    def test_global_reaches_board_devices(self):
        # The RTC is created by the board, before any -device.
        self.assert_one_line_error(
            "can't apply global mc146818rtc.base_year=bogus: Parameter 'base_year' expects integer",
            "-accel", "qtest", "-global", "mc146818rtc.base_year=bogus")

    def test_feature_not_built_yet(self):
        self.assert_one_line_error(
            "-loadvm snap: loading VM snapshots is not supported yet", "-loadvm", "snap")

    def test_missing_kernel(self):
        self.assert_one_line_error(
            "could not open kernel file 'bzImage': No such file or directory", "-kernel", "bzImage")


if __name__ == "__main__":
    unittest.main(verbosity=2)
