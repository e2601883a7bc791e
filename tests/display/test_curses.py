"""-display curses under tmux: SeaBIOS's text screen in the terminal, keys
typed into the terminal reaching the guest, and the refusals."""

import os
import shutil
import subprocess
import sys
import tempfile
import time
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "monitor"))
import tiny_bios  # noqa: E402
from qmp_client import QmpClient  # noqa: E402

SYSTEM = os.environ.get("MIMIC_SYSTEM")


@unittest.skipUnless(SYSTEM and os.path.exists(SYSTEM) and shutil.which("tmux"), "MIMIC_SYSTEM or tmux missing")
class CursesTest(unittest.TestCase):
    def setUp(self):
        self.dir = tempfile.mkdtemp(prefix="mimic-curses-")
        self.session = f"mimic-curses-{os.getpid()}-{self._testMethodName}"
        self.tmux = ["tmux", "-L", self.session]

    def tearDown(self):
        subprocess.run([*self.tmux, "kill-server"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        shutil.rmtree(self.dir)

    def start(self, *args):
        self.qmp_path = os.path.join(self.dir, "qmp.sock")
        command = " ".join([SYSTEM, "-display", "curses", "-qmp", f"unix:{self.qmp_path},server,nowait", *args])
        subprocess.run([*self.tmux, "new-session", "-d", "-s", "vm", "-x", "100", "-y", "30", command], check=True)
        deadline = time.monotonic() + 30
        while not os.path.exists(self.qmp_path):
            if time.monotonic() > deadline:
                self.fail("the emulator did not start: " + self.screen())
            time.sleep(0.05)
        self.qmp = QmpClient(self.qmp_path)
        self.qmp.negotiate()
        self.addCleanup(self.qmp.close)

    def screen(self):
        return subprocess.run([*self.tmux, "capture-pane", "-p", "-t", "vm"], stdout=subprocess.PIPE,
                              text=True).stdout

    def wait_screen(self, text, timeout=60):
        deadline = time.monotonic() + timeout
        while text not in self.screen():
            if time.monotonic() > deadline:
                self.fail(f"{text!r} never showed; the screen:\n{self.screen()}")
            time.sleep(0.1)

    def test_seabios_text_in_the_terminal(self):
        self.start("-net", "none")
        self.wait_screen("SeaBIOS (version")
        self.wait_screen("No bootable device.")
        lines = self.screen().splitlines()
        self.assertTrue(lines[0].startswith("SeaBIOS (version"), lines[:3])
        self.assertIn("Booting from Hard Disk...", lines)

    def test_keys_reach_the_guest(self):
        bios = os.path.join(self.dir, "tiny.bin")
        tiny_bios.write(bios)
        self.start("-bios", bios)
        # The tiny firmware never sets a text mode.
        self.wait_screen("640 x 480 Graphic mode")
        subprocess.run([*self.tmux, "send-keys", "-t", "vm", "aB"], check=True)

        def scancodes():
            text = self.qmp.command("human-monitor-command", **{"command-line": "xp /10xb 0x600"})
            return [int(w, 16) for line in text.splitlines() for w in line.split(":")[1].split()]
        # a, then shift + b (set 2: 1c f0 1c, 12 32 f0 32 f0 12).
        expected = [0x1C, 0xF0, 0x1C, 0x12, 0x32, 0xF0, 0x32, 0xF0, 0x12]
        deadline = time.monotonic() + 30
        while scancodes()[:9] != expected:
            if time.monotonic() > deadline:
                self.fail(f"scancodes {scancodes()}")
            time.sleep(0.1)


@unittest.skipUnless(SYSTEM and os.path.exists(SYSTEM), "MIMIC_SYSTEM not set")
class DisplayErrorTest(unittest.TestCase):
    def run_system(self, *args):
        result = subprocess.run([SYSTEM, "-S", "-monitor", "none", *args], stdin=subprocess.DEVNULL,
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=30, text=True)
        return result.returncode, result.stderr

    def test_refusals(self):
        self.assertEqual(self.run_system("-display", "curses"), (1, "We need a terminal output\n"))
        self.assertEqual(self.run_system("-display", "curses", "-daemonize"),
                         (1, "mimic-system-x86_64: curses display cannot be used with -daemonize\n"))
        self.assertEqual(self.run_system("-display", "none,foo=bar"),
                         (1, "mimic-system-x86_64: -display none,foo=bar: Parameter 'foo' is unexpected\n"))
        self.assertEqual(self.run_system("-display", "curses,charset=CP850"),
                         (1, "mimic-system-x86_64: -display curses,charset=CP850: "
                             "the display option 'charset' is not supported yet\n"))


if __name__ == "__main__":
    unittest.main()
