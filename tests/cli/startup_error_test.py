#!/usr/bin/env python3
"""A start-up error after chardevs exist: the one-line error and exit 1,
with every chardev torn down cleanly (a pty's connect poll and a socket's
reconnect timer are pending then)."""
import subprocess
import sys
import unittest

BINARY = sys.argv.pop(1) if len(sys.argv) > 1 else "build/mimic-system-x86_64"
PREFIX = "mimic-system-x86_64: "
BAD_OBJECT_ERROR = PREFIX + "-object foo,id=x: Parameter 'qom-type' does not accept value 'foo'\n"


def run(*args):
    return subprocess.run([BINARY, "-display", "none", "-S", "-monitor", "none", "-serial", "none", *args,
                           "-object", "foo,id=x"],
                          capture_output=True, text=True, timeout=30, stdin=subprocess.DEVNULL)


class StartupError(unittest.TestCase):
    def test_after_a_pty(self):
        done = run("-chardev", "pty,id=c0")
        self.assertEqual(done.returncode, 1, done.stderr)
        self.assertRegex(done.stdout, r"^char device redirected to /dev/pts/\d+ \(label c0\)\n$")
        self.assertEqual(done.stderr, BAD_OBJECT_ERROR)

    def test_after_a_reconnecting_socket(self):
        # Port 9 (discard) is closed: the reconnect timer is armed.
        done = run("-chardev", "socket,id=c0,host=127.0.0.1,port=9,reconnect=1")
        self.assertEqual(done.returncode, 1, done.stderr)
        self.assertTrue(done.stderr.endswith(BAD_OBJECT_ERROR), done.stderr)

    def test_after_every_kind_of_chardev(self):
        done = run("-chardev", "null,id=a", "-chardev", "ringbuf,id=b", "-chardev", "file,id=c,path=/dev/null",
                   "-chardev", "pty,id=d", "-chardev", "udp,id=e,host=127.0.0.1,port=9",
                   "-chardev", "socket,id=f,host=127.0.0.1,port=0,server=on,wait=off",
                   "-chardev", "stdio,id=g,mux=on")
        self.assertEqual(done.returncode, 1, done.stderr)
        self.assertTrue(done.stderr.endswith(BAD_OBJECT_ERROR), done.stderr)


if __name__ == "__main__":
    unittest.main(verbosity=2)
