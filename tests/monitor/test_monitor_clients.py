"""The real emulator's monitors through everyday clients and abuse.

HMP over telnet with nc, over a unix socket with socat, and on stdio inside
tmux; QMP with oversized and truncated input; and a long loop of commands
whose effect on the process's resident memory is measured.
"""

import json
import os
import shutil
import socket
import subprocess
import tempfile
import time
import unittest

from qmp_client import QmpClient

SYSTEM = os.environ.get("MIMIC_SYSTEM")


def free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def rss_kib(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    raise AssertionError("no VmRSS")


@unittest.skipUnless(SYSTEM and os.path.exists(SYSTEM), "MIMIC_SYSTEM not set")
class ClientsTest(unittest.TestCase):
    def setUp(self):
        self.dir = tempfile.mkdtemp(prefix="mimic-monitor-clients-")
        self.processes = []

    def tearDown(self):
        for process in self.processes:
            if process.poll() is None:
                process.kill()
            process.wait()
        shutil.rmtree(self.dir)

    def launch(self, *args):
        process = subprocess.Popen([SYSTEM, "-display", "none", *args],
                                   stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        self.processes.append(process)
        return process

    def wait_for(self, predicate, what, timeout=10.0):
        deadline = time.monotonic() + timeout
        while True:
            value = predicate()
            if value:
                return value
            if time.monotonic() > deadline:
                self.fail(f"timed out waiting for {what}")
            time.sleep(0.05)

    def test_hmp_over_telnet_with_nc(self):
        if not shutil.which("nc"):
            self.skipTest("nc not installed")
        port = free_port()
        self.launch("-S", "-monitor", f"telnet:127.0.0.1:{port},server,nowait")

        def session():
            result = subprocess.run(["nc", "-q", "1", "127.0.0.1", str(port)],
                                    input=b"info status\r\nc\r\ninfo status\r\n", capture_output=True, timeout=20)
            return result.stdout if b"VM status: running" in result.stdout else None
        out = self.wait_for(session, "an nc session")
        self.assertIn(b"VM status: paused (prelaunch)\r\n(qemu) ", out)
        self.assertIn(b"VM status: running\r\n", out)

    def test_hmp_and_qmp_over_unix_sockets_with_socat(self):
        if not shutil.which("socat"):
            self.skipTest("socat not installed")
        hmp_path = os.path.join(self.dir, "hmp.sock")
        qmp_path = os.path.join(self.dir, "qmp.sock")
        self.launch("-S", "-monitor", f"unix:{hmp_path},server,nowait", "-qmp", f"unix:{qmp_path},server,nowait")
        self.wait_for(lambda: os.path.exists(hmp_path) and os.path.exists(qmp_path), "the sockets")
        hmp = subprocess.run(["socat", "-t", "1", "-", f"UNIX-CONNECT:{hmp_path}"],
                             input=b"info registers\r\nprint 6*7\r\n", capture_output=True, timeout=20).stdout
        self.assertIn(b"\r\nCPU#0\r\nEAX=00000000 ", hmp)
        self.assertIn(b"(qemu) print 6*7\r\n0x2a\r\n", hmp.replace(b"\x1b[K", b""))
        requests = b'{"execute": "qmp_capabilities"}\n{"execute": "query-status", "id": 7}\n'
        qmp = subprocess.run(["socat", "-t", "1", "-", f"UNIX-CONNECT:{qmp_path}"],
                             input=requests, capture_output=True, timeout=20).stdout.decode().splitlines()
        self.assertIn('"QMP"', qmp[0])
        self.assertEqual(json.loads(qmp[1]), {"return": {}})
        self.assertEqual(json.loads(qmp[2]),
                         {"return": {"status": "prelaunch", "singlestep": False, "running": False}, "id": 7})

    def test_stdio_monitor_under_tmux(self):
        if not shutil.which("tmux"):
            self.skipTest("tmux not installed")
        socket_name = f"mimic-test-{os.getpid()}"
        tmux = ["tmux", "-L", socket_name]
        subprocess.run([*tmux, "new-session", "-d", "-x", "160", "-y", "40",
                        f"{SYSTEM} -display none -S -monitor stdio"], check=True, timeout=20)
        try:
            def screen():
                return subprocess.run([*tmux, "capture-pane", "-p"], capture_output=True, timeout=20,
                                      text=True).stdout

            def keys(*k):
                subprocess.run([*tmux, "send-keys", *k], check=True, timeout=20)
            self.wait_for(lambda: "(qemu)" in screen(), "the prompt")
            keys("info sta", "Tab", "Enter")
            self.wait_for(lambda: "VM status: paused (prelaunch)" in screen(), "completion and output")
            self.assertIn("(qemu) info status", screen())
            keys("print 1+", "Enter")
            self.wait_for(lambda: screen().count("(qemu)") >= 3, "the third prompt")
            keys("Up", "Up", "Enter")
            self.wait_for(lambda: screen().count("VM status: paused (prelaunch)") == 2, "the history recall")
            keys("info history", "Enter")
            # A recalled line moves to the end of the history, as in QEMU.
            self.wait_for(lambda: "0: 'print 1+'\n1: 'info status '\n2: 'info history'" in screen(), "info history")
            keys("quit", "Enter")
            self.wait_for(lambda: subprocess.run([*tmux, "has-session"], capture_output=True).returncode != 0,
                          "the emulator to quit")
        finally:
            subprocess.run([*tmux, "kill-server"], capture_output=True)


@unittest.skipUnless(SYSTEM and os.path.exists(SYSTEM), "MIMIC_SYSTEM not set")
class QmpAbuseTest(unittest.TestCase):
    def setUp(self):
        self.dir = tempfile.mkdtemp(prefix="mimic-qmp-abuse-")
        self.qmp_path = os.path.join(self.dir, "qmp.sock")
        self.process = subprocess.Popen(
            [SYSTEM, "-display", "none", "-S", "-qmp", f"unix:{self.qmp_path},server,nowait"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        self.qmp = QmpClient(self.qmp_path)
        self.qmp.negotiate()

    def tearDown(self):
        self.qmp.close()
        if self.process.poll() is None:
            self.process.kill()
        self.process.wait()
        shutil.rmtree(self.dir)

    def reconnect(self):
        self.qmp.close()
        self.qmp = QmpClient(self.qmp_path)
        self.qmp.negotiate()

    def errors_before_sync(self, garbage):
        """Sends `garbage` and then a request with a fresh id; returns the
        error texts that came before that request's reply."""
        self.qmp.send_raw(garbage + b'\n{"execute": "query-status", "id": "sync"}')
        errors = []
        while True:
            reply = self.qmp.read_reply()
            if reply.get("id") == "sync":
                self.assertTrue(reply["return"]["running"])
                return errors
            errors.append(reply["error"]["desc"])

    def test_oversized_and_truncated_input(self):
        self.qmp.command("cont")
        # A string token over QEMU's 64 MiB limit; the closing brace that
        # follows it is then unexpected on its own, as in QEMU.
        self.assertEqual(self.errors_before_sync(b'{"execute": "' + b"x" * (65 << 20) + b'"}'),
                         ["JSON token size limit exceeded", "JSON parse error, expecting value"])
        # A request cut off by the client going away.
        self.qmp.send_raw(b'{"execute": "human-monitor-command", "arguments": {"command-line": "info regis')
        self.reconnect()
        self.assertTrue(self.qmp.command("query-status")["running"])
        # Invalid UTF-8 and control characters inside a string.
        self.assertEqual(self.errors_before_sync(b'{"execute": "\xff\xfe"}'),
                         ["JSON parse error, invalid UTF-8 sequence in string"])
        errors = self.errors_before_sync(b'{"execute": "query-status", "id": "a\x01b"}')
        self.assertTrue(errors and all(e.startswith("JSON parse error, ") for e in errors), errors)
        self.assertIsNone(self.process.poll())

    def test_thousands_of_commands_leak_no_memory(self):
        commands = [
            {"execute": "query-status"},
            {"execute": "query-block"},
            {"execute": "query-pci"},
            {"execute": "human-monitor-command", "arguments": {"command-line": "info registers"}},
            {"execute": "human-monitor-command", "arguments": {"command-line": "x/4i 0xffff0"}},
            {"execute": "no-such-command"},
            {"execute": "query-status", "arguments": {"bogus": 1}},
        ]

        def run(rounds):
            for start in range(0, rounds, 100):
                batch = "".join(json.dumps({**commands[i % len(commands)], "id": i})
                                for i in range(start, start + 100))
                self.qmp.send_raw(batch + '{"execute": "stop" "x"}')
                for i in range(start, start + 100):
                    self.assertEqual(self.qmp.read_reply()["id"], i)
                self.assertIn("error", self.qmp.read_reply())
        run(1000)  # warm up allocator pools and lazily built tables
        before = rss_kib(self.process.pid)
        run(5000)
        after = rss_kib(self.process.pid)
        # 5000 commands leaking even 200 bytes each would add ~1 MiB.
        self.assertLess(after - before, 1024, f"RSS grew from {before} to {after} KiB")


if __name__ == "__main__":
    unittest.main()
