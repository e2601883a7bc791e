"""-sandbox through the real emulator, next to QEMU 7.2 doing the same.

Each case runs $MIMIC_SYSTEM and, when Debian's qemu-system-x86_64 is
installed, QEMU with the same options, and expects the same outcome:
guests that run under libvirt's sandbox line, the filter killing the process
(SIGSYS) when something spawns a process or changes its ids, QEMU's error
texts, query-command-line-options' answer, and, as root, the BPF program in
the kernel compared instruction for instruction with QEMU's.
"""

import ctypes
import os
import shutil
import signal
import stat
import subprocess
import sys
import tempfile
import time
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "monitor"))
from qmp_client import QmpClient  # noqa: E402

SYSTEM = os.environ.get("MIMIC_SYSTEM")
GUEST_DIR = os.environ.get("MIMIC_GUEST_DIR", "")
QEMU = shutil.which("qemu-system-x86_64")
LIBVIRT_LINE = "on,obsolete=deny,elevateprivileges=deny,spawn=deny,resourcecontrol=deny"
IS_ROOT = os.geteuid() == 0
HAS_TUN = os.path.exists("/dev/net/tun") and os.access("/dev/net/tun", os.R_OK | os.W_OK)


def emulators():
    """(name, binary) of Mimic and, when installed, QEMU."""
    found = [("mimic", SYSTEM)]
    if QEMU:
        found.append(("qemu", QEMU))
    return found


class Emulator:
    """One emulator process with a QMP socket."""

    def __init__(self, binary, *args, qmp=True):
        self.dir = tempfile.mkdtemp(prefix="mimic-sandbox-")
        self.qmp_path = os.path.join(self.dir, "qmp.sock")
        argv = [binary] if "-nographic" in args else [binary, "-display", "none"]
        if qmp:
            argv += ["-qmp", f"unix:{self.qmp_path},server=on,wait=off"]
        self.process = subprocess.Popen(argv + list(args), stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                        stderr=subprocess.PIPE)
        self.qmp = None
        if qmp:
            self.qmp = QmpClient(self.qmp_path)
            self.qmp.negotiate()

    def hmp(self, line):
        return self.qmp.execute("human-monitor-command", {"command-line": line})

    def wait(self, timeout=20):
        try:
            return self.process.wait(timeout)
        except subprocess.TimeoutExpired:
            return None

    def seccomp_mode(self):
        with open(f"/proc/{self.process.pid}/status") as f:
            for line in f:
                if line.startswith("Seccomp:"):
                    return int(line.split()[1])
        return None

    def close(self):
        if self.qmp:
            self.qmp.close()
        if self.process.poll() is None:
            self.process.kill()
        self.process.wait()
        self.process.stdout.close()
        self.process.stderr.close()
        shutil.rmtree(self.dir, ignore_errors=True)


def write_script(directory, marker):
    """A tap up-script that records that it ran."""
    path = os.path.join(directory, "ifup.sh")
    with open(path, "w") as f:
        f.write(f"#!/bin/sh\necho \"$1\" > {marker}\nexit 0\n")
    os.chmod(path, stat.S_IRWXU)
    return path


def run_to_exit(binary, *args, timeout=20):
    result = subprocess.run([binary, "-display", "none", *args], stdin=subprocess.DEVNULL, capture_output=True,
                            timeout=timeout)
    return result.returncode, result.stderr.decode()


@unittest.skipUnless(SYSTEM and os.path.exists(SYSTEM), "MIMIC_SYSTEM not set")
class GuestsRunUnderLibvirtsSandbox(unittest.TestCase):
    def test_bare_metal_smp_guest_passes(self):
        image = os.path.join(GUEST_DIR, "smp.bin")
        if not os.path.exists(image):
            self.skipTest("tests/guest images not built")
        with tempfile.TemporaryDirectory() as d:
            out = os.path.join(d, "debugcon.txt")
            status, err = run_to_exit(SYSTEM, "-sandbox", LIBVIRT_LINE, "-smp", "2", "-bios", image,
                                      "-debugcon", f"file:{out}",
                                      "-device", "isa-debug-exit,iobase=0xf4,iosize=0x04", timeout=60)
            with open(out) as f:
                text = f.read()
        self.assertEqual(status, 1, err)  # isa-debug-exit: (0 << 1) | 1
        self.assertIn("PASS", text)

    def test_seabios_reaches_the_serial_console_and_the_monitor_answers(self):
        for name, binary in emulators():
            with self.subTest(name):
                vm = Emulator(binary, "-sandbox", LIBVIRT_LINE, "-nographic", "-m", "64")
                try:
                    self.assertEqual(vm.seccomp_mode(), 2)  # a filter is loaded
                    deadline = time.monotonic() + 30
                    seen = b""
                    os.set_blocking(vm.process.stdout.fileno(), False)
                    while b"SeaBIOS" not in seen and time.monotonic() < deadline:
                        chunk = vm.process.stdout.read()
                        seen += chunk or b""
                        time.sleep(0.05)
                    self.assertIn(b"SeaBIOS", seen)
                    self.assertEqual(vm.qmp.command("query-status")["status"], "running")
                    self.assertIn("PCI", vm.hmp("info pci")["return"])
                    vm.qmp.execute("quit")
                    self.assertEqual(vm.wait(), 0)
                finally:
                    vm.close()

    def test_without_sandbox_no_filter_is_loaded(self):
        vm = Emulator(SYSTEM, "-S")
        try:
            self.assertEqual(vm.seccomp_mode(), 0)
        finally:
            vm.close()


@unittest.skipUnless(SYSTEM and os.path.exists(SYSTEM), "MIMIC_SYSTEM not set")
class ForbiddenActions(unittest.TestCase):
    """What each sub-option stops, and how: QEMU 7.2 kills the process."""

    def expect_same(self, args, expected):
        for name, binary in emulators():
            with self.subTest(name):
                status, err = run_to_exit(binary, *args)
                self.assertEqual(status, expected, f"{name}: {err}")

    def test_spawn_deny_kills_a_hot_plugged_tap_netdev_launching_its_script(self):
        if not (IS_ROOT and HAS_TUN):
            self.skipTest("needs root and /dev/net/tun")
        for name, binary in emulators():
            with self.subTest(name), tempfile.TemporaryDirectory() as d:
                marker = os.path.join(d, "ran")
                script = write_script(d, marker)
                vm = Emulator(binary, "-sandbox", "on,spawn=deny", "-S")
                try:
                    vm.qmp.send_raw('{"execute": "human-monitor-command", "arguments": {"command-line": '
                                    f'"netdev_add tap,id=t0,script={script},downscript=no"}}}}')
                    self.assertEqual(vm.wait(), -signal.SIGSYS, name)
                    self.assertFalse(os.path.exists(marker))
                finally:
                    vm.close()

    def test_the_same_netdev_works_without_spawn_deny(self):
        if not (IS_ROOT and HAS_TUN):
            self.skipTest("needs root and /dev/net/tun")
        for name, binary in emulators():
            with self.subTest(name), tempfile.TemporaryDirectory() as d:
                marker = os.path.join(d, "ran")
                script = write_script(d, marker)
                vm = Emulator(binary, "-sandbox", "on", "-S")
                try:
                    reply = vm.hmp(f"netdev_add tap,id=t0,script={script},downscript=no")
                    self.assertEqual(reply.get("return"), "", reply)
                    self.assertTrue(os.path.exists(marker), name)
                finally:
                    vm.close()

    def test_spawn_deny_kills_a_tap_script_on_the_command_line(self):
        if not (IS_ROOT and HAS_TUN):
            self.skipTest("needs root and /dev/net/tun")
        with tempfile.TemporaryDirectory() as d:
            script = write_script(d, os.path.join(d, "ran"))
            # The filter is loaded before any back end is made, as in QEMU.
            self.expect_same(["-sandbox", "on,spawn=deny", "-S", "-netdev", f"tap,id=t0,script={script},downscript=no"],
                             -signal.SIGSYS)

    def test_spawn_deny_kills_daemonize(self):
        self.expect_same(["-sandbox", "on,spawn=deny", "-S", "-daemonize"], -signal.SIGSYS)

    def test_elevateprivileges_deny_stops_daemonize_at_setsid(self):
        # The daemon child dies by SIGSYS; the parent reports failure.
        for option in ("on,elevateprivileges=deny", "on,elevateprivileges=children"):
            with self.subTest(option):
                self.expect_same(["-sandbox", option, "-S", "-daemonize"], 1)

    def test_daemonize_works_under_the_default_sandbox(self):
        for name, binary in emulators():
            with self.subTest(name), tempfile.TemporaryDirectory() as d:
                pidfile = os.path.join(d, "pid")
                status, err = run_to_exit(binary, "-sandbox", "on", "-S", "-daemonize", "-pidfile", pidfile)
                self.assertEqual(status, 0, err)
                with open(pidfile) as f:
                    os.kill(int(f.read()), signal.SIGKILL)


@unittest.skipUnless(SYSTEM and os.path.exists(SYSTEM), "MIMIC_SYSTEM not set")
class Errors(unittest.TestCase):
    CASES = {
        "foo": "-sandbox foo: Parameter 'enable' expects 'on' or 'off'",
        "help": "-sandbox help: Parameter 'enable' expects 'on' or 'off'",
        "on,bogus=1": "-sandbox on,bogus=1: Invalid parameter 'bogus'",
        "on,obsolete=x": "-sandbox on,obsolete=x: invalid argument for obsolete",
        "on,elevateprivileges=x": "-sandbox on,elevateprivileges=x: invalid argument for elevateprivileges",
        "on,spawn=maybe": "-sandbox on,spawn=maybe: invalid argument for spawn",
        "on,resourcecontrol=x": "-sandbox on,resourcecontrol=x: invalid argument for resourcecontrol",
    }

    def test_bad_sub_options_are_worded_as_qemus(self):
        for value, message in self.CASES.items():
            with self.subTest(value):
                status, err = run_to_exit(SYSTEM, "-S", "-sandbox", value)
                self.assertEqual(status, 1)
                self.assertEqual(err, f"mimic-system-x86_64: {message}\n")
                if QEMU:
                    _, qemu_err = run_to_exit(QEMU, "-S", "-sandbox", value)
                    self.assertEqual(qemu_err.splitlines()[-1], f"qemu-system-x86_64: {message}")

    def test_off_ignores_its_sub_options(self):
        vm = Emulator(SYSTEM, "-S", "-sandbox", "off,spawn=maybe")
        try:
            self.assertEqual(vm.seccomp_mode(), 0)
        finally:
            vm.close()


@unittest.skipUnless(SYSTEM and os.path.exists(SYSTEM), "MIMIC_SYSTEM not set")
class QueryCommandLineOptions(unittest.TestCase):
    SANDBOX = [{"parameters": [{"name": "resourcecontrol", "type": "string"},
                               {"name": "spawn", "type": "string"},
                               {"name": "elevateprivileges", "type": "string"},
                               {"name": "obsolete", "type": "string"},
                               {"name": "enable", "type": "boolean"}],
                "option": "sandbox"}]

    def test_sandbox_and_its_parameters(self):
        for name, binary in emulators():
            with self.subTest(name):
                vm = Emulator(binary, "-S")
                try:
                    self.assertEqual(vm.qmp.command("query-command-line-options", option="sandbox"), self.SANDBOX)
                    everything = vm.qmp.command("query-command-line-options")
                    self.assertIn(self.SANDBOX[0], everything)
                    reply = vm.qmp.execute("query-command-line-options", {"option": "nosuch"})
                    self.assertEqual(reply["error"], {"class": "GenericError", "desc": "invalid option name: nosuch"})
                finally:
                    vm.close()


# ptrace(2) requests for reading a process's seccomp filters.
PTRACE_DETACH = 17
PTRACE_SEIZE = 0x4206
PTRACE_INTERRUPT = 0x4207
PTRACE_SECCOMP_GET_FILTER = 0x420C


def loaded_filters(pid):
    """The BPF programs of `pid`'s seccomp filters, as bytes, newest first."""
    libc = ctypes.CDLL(None, use_errno=True)
    libc.ptrace.restype = ctypes.c_long
    libc.ptrace.argtypes = [ctypes.c_long, ctypes.c_int, ctypes.c_void_p, ctypes.c_void_p]
    if libc.ptrace(PTRACE_SEIZE, pid, None, None) != 0:
        raise OSError(ctypes.get_errno(), "PTRACE_SEIZE")
    try:
        libc.ptrace(PTRACE_INTERRUPT, pid, None, None)
        os.waitpid(pid, os.WALL if hasattr(os, "WALL") else 0x40000000)
        programs = []
        for index in range(16):
            count = libc.ptrace(PTRACE_SECCOMP_GET_FILTER, pid, ctypes.c_void_p(index), None)
            if count < 0:
                break
            buffer = ctypes.create_string_buffer(count * 8)
            libc.ptrace(PTRACE_SECCOMP_GET_FILTER, pid, ctypes.c_void_p(index), buffer)
            programs.append(buffer.raw)
        return programs
    finally:
        libc.ptrace(PTRACE_DETACH, pid, None, None)


@unittest.skipUnless(SYSTEM and os.path.exists(SYSTEM), "MIMIC_SYSTEM not set")
@unittest.skipUnless(QEMU and IS_ROOT, "needs qemu-system-x86_64 and root (ptrace of the filter)")
class SameFilterAsQemu(unittest.TestCase):
    def filter_of(self, binary, option):
        vm = Emulator(binary, "-S", "-sandbox", option, qmp=False)
        try:
            time.sleep(1.0)  # past start-up, where the filter is loaded
            return loaded_filters(vm.process.pid)
        finally:
            vm.close()

    def test_every_sub_option_gives_qemus_program(self):
        for option in ("on", "on,obsolete=allow", "on,elevateprivileges=deny", "on,elevateprivileges=children",
                       "on,spawn=deny", "on,resourcecontrol=deny", LIBVIRT_LINE):
            with self.subTest(option):
                mimic = self.filter_of(SYSTEM, option)
                qemu = self.filter_of(QEMU, option)
                self.assertEqual(len(mimic), 1)
                self.assertEqual(mimic, qemu)


if __name__ == "__main__":
    unittest.main()
