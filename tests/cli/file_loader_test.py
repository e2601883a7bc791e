#!/usr/bin/env python3
"""Files the command line loads whole (-bios, romfile=, secret file=): a
directory, an endless device or a file larger than the loader can use is
one QEMU-style line and exit 1, never an abort or a read into host memory.
The emulator runs with its address space capped, so a read of /dev/zero or
of a sparse giant ends the process instead of going through."""
import os
import resource
import subprocess
import sys
import tempfile
import unittest

BINARY = sys.argv.pop(1) if len(sys.argv) > 1 else "build/mimic-system-x86_64"
PREFIX = "mimic-system-x86_64: "
ADDRESS_SPACE_LIMIT = 1536 << 20


def limit_address_space():
    resource.setrlimit(resource.RLIMIT_AS, (ADDRESS_SPACE_LIMIT, ADDRESS_SPACE_LIMIT))


def run(*args):
    return subprocess.run([BINARY, "-display", "none", "-S", "-monitor", "none", "-serial", "none", *args],
                          capture_output=True, text=True, timeout=60, stdin=subprocess.DEVNULL,
                          preexec_fn=limit_address_space)


class LoaderTest(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.TemporaryDirectory()
        self.dir = self.tmp.name

    def tearDown(self):
        self.tmp.cleanup()

    def sparse(self, name, size):
        path = os.path.join(self.dir, name)
        with open(path, "wb") as f:
            f.truncate(size)
        return path

    def assert_one_line_error(self, expected, *args):
        done = run(*args)
        self.assertEqual(done.returncode, 1, done.stderr)
        self.assertEqual(done.stderr, PREFIX + expected + "\n")


class Bios(LoaderTest):
    def test_directory_device_and_giant(self):
        for path in (self.dir, "/dev/zero", self.sparse("giant.bin", 3 << 30), self.sparse("empty.bin", 0)):
            with self.subTest(path=path):
                self.assert_one_line_error("could not load PC BIOS '%s'" % path, "-bios", path)


class Romfile(LoaderTest):
    def test_directory_and_device(self):
        for path in (self.dir, "/dev/zero"):
            with self.subTest(path=path):
                self.assert_one_line_error('-device e1000,romfile=%s: failed to load romfile "%s"' % (path, path),
                                           "-device", "e1000,romfile=" + path)

    def test_giant_and_empty_as_qemu_words_them(self):
        giant = self.sparse("giant.rom", 3 << 30)
        self.assert_one_line_error(
            '-device e1000,romfile=%s: romfile "%s" too large (size cannot exceed 2 GiB)' % (giant, giant),
            "-device", "e1000,romfile=" + giant)
        empty = self.sparse("empty.rom", 0)
        self.assert_one_line_error('-device e1000,romfile=%s: romfile "%s" is empty' % (empty, empty),
                                   "-device", "e1000,romfile=" + empty)


class SecretFile(LoaderTest):
    def test_directory_and_endless_device(self):
        self.assert_one_line_error("Unable to read %s: Error reading file \u201c%s\u201d: Is a directory"
                                   % (self.dir, self.dir), "-object", "secret,id=s,file=" + self.dir)
        self.assert_one_line_error("Unable to read /dev/zero: Error reading file \u201c/dev/zero\u201d: File too large",
                                   "-object", "secret,id=s,file=/dev/zero")

    def test_a_pipe_still_works(self):
        read_end, write_end = os.pipe()
        os.write(write_end, b"password")
        os.close(write_end)
        done = subprocess.run([BINARY, "-display", "none", "-S", "-monitor", "none", "-serial", "none",
                               "-object", "secret,id=s,file=/dev/fd/%d" % read_end, "-object", "foo,id=x"],
                              capture_output=True, text=True, timeout=60, stdin=subprocess.DEVNULL,
                              pass_fds=(read_end,))
        os.close(read_end)
        # The secret loaded; the next option is what fails.
        self.assertEqual(done.stderr, PREFIX + "-object foo,id=x: Parameter 'qom-type' does not accept value 'foo'\n")


if __name__ == "__main__":
    unittest.main(verbosity=2)
