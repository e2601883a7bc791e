"""Integration tests of QMP and HMP over unix sockets and real clients.

Runs the emulator named by $MIMIC_SYSTEM (ctest sets it to
build/mimic-system-x86_64), with SeaBIOS where a test lets the VM run.
"""

import json
import os
import shutil
import socket
import subprocess
import tempfile
import time
import unittest

from qmp_client import QmpClient, QmpError

HOST = os.environ.get("MIMIC_SYSTEM")
# No window: the tests talk to the monitors only.
BASE_ARGS = ["-display", "none"]


@unittest.skipUnless(HOST and os.path.exists(HOST), "MIMIC_SYSTEM not set")
class MonitorTest(unittest.TestCase):
    def setUp(self):
        self.dir = tempfile.mkdtemp(prefix="mimic-monitor-")
        self.qmp_path = os.path.join(self.dir, "qmp.sock")
        self.hmp_path = os.path.join(self.dir, "hmp.sock")
        self.process = subprocess.Popen(
            [HOST, *BASE_ARGS, "-S", "-name", "testvm",
             "-qmp", f"unix:{self.qmp_path},server,nowait",
             "-monitor", f"unix:{self.hmp_path},server,nowait"],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        self.qmp = QmpClient(self.qmp_path)

    def tearDown(self):
        self.qmp.close()
        if self.process.poll() is None:
            self.process.kill()
        self.process.wait()
        self.process.stdout.close()
        self.process.stderr.close()
        shutil.rmtree(self.dir)

    def test_greeting_and_negotiation(self):
        greeting = self.qmp.greeting["QMP"]
        self.assertEqual(greeting["version"]["qemu"], {"micro": 0, "minor": 2, "major": 7})
        self.assertTrue(greeting["version"]["package"].startswith("mimic "))
        self.assertEqual(greeting["capabilities"], ["oob"])
        reply = self.qmp.execute("query-status")
        self.assertEqual(reply["error"]["class"], "CommandNotFound")
        self.assertEqual(self.qmp.negotiate(), {})
        with self.assertRaises(QmpError) as raised:
            self.qmp.negotiate()
        self.assertEqual(raised.exception.error_class, "CommandNotFound")

    def test_queries(self):
        self.qmp.negotiate()
        self.assertEqual(self.qmp.command("query-status"),
                         {"status": "prelaunch", "singlestep": False, "running": False})
        self.assertEqual(self.qmp.command("query-name"), {"name": "testvm"})
        self.assertEqual(self.qmp.command("query-version")["qemu"]["major"], 7)
        names = {c["name"] for c in self.qmp.command("query-commands")}
        self.assertTrue({"query-status", "stop", "cont", "quit", "human-monitor-command"} <= names)
        events = {e["name"] for e in self.qmp.command("query-events")}
        self.assertTrue({"STOP", "RESUME", "SHUTDOWN", "RESET", "POWERDOWN"} <= events)
        schema = self.qmp.command("query-qmp-schema")
        by_name = {entry["name"]: entry for entry in schema}
        self.assertEqual(by_name["query-status"]["meta-type"], "command")
        self.assertIn(by_name["query-status"]["ret-type"], by_name)
        # The pc machine's default empty CD-ROM drive.
        self.assertEqual([d["device"] for d in self.qmp.command("query-block")], ["ide1-cd0"])

    def test_run_state_events(self):
        self.qmp.negotiate()
        self.qmp.command("cont")
        event = self.qmp.wait_event("RESUME")
        self.assertEqual(set(event["timestamp"]), {"seconds", "microseconds"})
        self.qmp.command("stop")
        self.qmp.wait_event("STOP")
        self.qmp.command("system_reset")
        reset = self.qmp.wait_event("RESET")
        self.assertEqual(reset["data"], {"guest": False, "reason": "host-qmp-system-reset"})
        self.qmp.command("system_powerdown")
        self.qmp.wait_event("POWERDOWN")
        self.qmp.command("quit")
        shutdown = self.qmp.wait_event("SHUTDOWN")
        self.assertEqual(shutdown["data"], {"guest": False, "reason": "host-qmp-quit"})
        self.assertEqual(self.process.wait(timeout=10), 0)

    def test_pipelining_and_id_echo(self):
        self.qmp.negotiate()
        ids = [1, "two", {"three": [3]}, [4], None, 6.5]
        self.qmp.send_raw("".join(json.dumps({"execute": "query-name", "id": i}) for i in ids))
        replies = [self.qmp.read_reply() for _ in ids]
        self.assertEqual([r["id"] for r in replies], ids)
        # One request split into single bytes.
        for byte in json.dumps({"execute": "query-status", "id": "split"}).encode():
            self.qmp.send_raw(bytes([byte]))
        self.assertEqual(self.qmp.read_reply()["id"], "split")

    def test_bad_input_keeps_the_vm_running(self):
        self.qmp.negotiate()
        self.qmp.command("cont")
        cases = [
            (b'{"execute": "stop" "x"}', "JSON parse error, expected separator in dict"),
            (b"[1, 2]", "QMP input must be a JSON object"),
            (b'{"execute": 5}', "QMP input member 'execute' must be a string"),
            (b'{"execute": "query-status", "arguments": 1}', "QMP input member 'arguments' must be an object"),
            (b'{"execute": "human-monitor-command", "arguments": {"command-line": 1}}',
             "Invalid parameter type for 'command-line', expected: string"),
            (b'{"execute": "human-monitor-command"}', "Parameter 'command-line' is missing"),
            (b'{"execute": "query-status", "arguments": {"x": 1}}', "Parameter 'x' is unexpected"),
            (b'{"execute": "no-such"}', "The command no-such has not been found"),
        ]
        for data, desc in cases:
            self.qmp.send_raw(data)
            self.assertEqual(self.qmp.read_reply()["error"]["desc"], desc, data)
        self.qmp.send_raw(b"[" * 1100)
        self.assertEqual(self.qmp.read_reply()["error"]["desc"], "JSON nesting depth limit exceeded")
        self.qmp.close()
        # A fresh client: the session state was dropped, the VM still runs.
        self.qmp = QmpClient(self.qmp_path)
        self.qmp.negotiate()
        self.assertTrue(self.qmp.command("query-status")["running"])

    def test_disconnect_mid_command(self):
        self.qmp.negotiate()
        self.qmp.send_raw(b'{"execute": "qu')
        self.qmp.close()
        self.qmp = QmpClient(self.qmp_path)
        self.qmp.negotiate()
        self.assertEqual(self.qmp.command("query-status")["status"], "prelaunch")
        self.assertIsNone(self.process.poll())

    def test_many_commands(self):
        self.qmp.negotiate()
        batch = "".join(json.dumps({"execute": "query-status", "id": i}) for i in range(2000))
        self.qmp.send_raw(batch)
        for i in range(2000):
            self.assertEqual(self.qmp.read_reply()["id"], i)

    def test_human_monitor_command(self):
        self.qmp.negotiate()
        self.assertEqual(self.qmp.command("human-monitor-command", **{"command-line": "info status"}),
                         "VM status: paused (prelaunch)\r\n")

    def hmp_session(self, lines):
        """Runs HMP lines through socat on the unix socket, returns the transcript."""
        if not shutil.which("socat"):
            self.skipTest("socat not installed")
        script = "".join(line + "\r\n" for line in lines)
        result = subprocess.run(["socat", "-t", "1", "-", f"UNIX-CONNECT:{self.hmp_path}"],
                                input=script.encode(), capture_output=True, timeout=20)
        return result.stdout.decode()

    def test_hmp_over_unix_socket(self):
        out = self.hmp_session(["info status", "info name", "info version", "help stop", "bogus"])
        self.assertTrue(out.startswith("Mimic 0.1.0 monitor - type 'help' for more information\r\n(qemu) "), out)
        self.assertIn("VM status: paused (prelaunch)\r\n", out)
        self.assertIn("testvm\r\n", out)
        self.assertIn("7.2.0 (mimic 0.1.0)\r\n", out)
        self.assertIn("stop  -- stop emulation\r\n", out)
        self.assertIn("unknown command: 'bogus'\r\n", out)

    def test_hmp_drives_qmp_events(self):
        self.qmp.negotiate()
        self.hmp_session(["c"])
        self.qmp.wait_event("RESUME")
        self.hmp_session(["stop"])
        self.qmp.wait_event("STOP")


if __name__ == "__main__":
    unittest.main()


@unittest.skipUnless(HOST and os.path.exists(HOST), "MIMIC_SYSTEM not set")
class TerminalTest(unittest.TestCase):
    """HMP on a terminal (stdio under a pty) and over telnet."""

    def read_until(self, fd, needle, timeout=10.0, data=b""):
        """Reads until `needle` shows up. A terminal's ONLCR (kept on, as by
        QEMU, so guest output looks right) turns the monitor's "\r\n" into
        "\r\r\n"; that difference is folded away."""
        import select
        deadline = time.monotonic() + timeout
        while needle not in data.replace(b"\r\r\n", b"\r\n"):
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise TimeoutError(f"{needle!r} not seen in {data!r}")
            ready, _, _ = select.select([fd], [], [], remaining)
            if ready:
                chunk = os.read(fd, 4096) if isinstance(fd, int) else fd.recv(4096)
                if not chunk:
                    raise EOFError(data)
                data += chunk
        return data.replace(b"\r\r\n", b"\r\n")

    def test_stdio_readline_history_completion(self):
        import pty
        pid, fd = pty.fork()
        if pid == 0:
            os.execv(HOST, [HOST, *BASE_ARGS, "-S", "-monitor", "stdio"])
        try:
            self.read_until(fd, b"(qemu) ")
            # Tab completes a unique command name and adds a space.
            os.write(fd, b"info sta\t\r")
            out = self.read_until(fd, b"VM status: paused (prelaunch)\r\n(qemu) ")
            self.assertIn(b"info status ", out)
            # Up arrow recalls the last line; Enter runs it again.
            os.write(fd, b"\x1b[A\r")
            self.read_until(fd, b"VM status: paused (prelaunch)\r\n(qemu) ")
            # Line editing: C-a to the start, C-k kills, retype.
            os.write(fd, b"xyz\x01\x0binfo name\r")
            self.read_until(fd, b"(qemu) ")
            os.write(fd, b"info history\r")
            # The recalled line was not stored twice; the completion's space stays.
            # Wait for the prompt after the listing too, so it cannot be
            # mistaken below for the prompt the completion list ends with.
            out = self.read_until(fd, b"2: 'info history'\r\n(qemu) ")
            self.assertIn(b"0: 'info status '\r\n", out)
            self.assertIn(b"1: 'info name'\r\n", out)
            # Several matches are listed, then the prompt and the line again.
            os.write(fd, b"system_\t")
            out = self.read_until(fd, b"system_reset")
            out = self.read_until(fd, b"\r\n(qemu) system_", data=out)
            self.assertIn(b"system_powerdown", out)
            os.write(fd, b"\x15quit\r")
            _, status = os.waitpid(pid, 0)
            self.assertEqual(os.waitstatus_to_exitcode(status), 0)
            pid = 0
        finally:
            if pid:
                os.kill(pid, 9)
                os.waitpid(pid, 0)
            os.close(fd)

    def test_telnet(self):
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            port = probe.getsockname()[1]
        process = subprocess.Popen([HOST, *BASE_ARGS, "-S", "-monitor", f"telnet:127.0.0.1:{port},server,nowait"],
                                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            deadline = time.monotonic() + 10
            while True:
                try:
                    conn = socket.create_connection(("127.0.0.1", port))
                    break
                except ConnectionRefusedError:
                    if time.monotonic() > deadline:
                        raise
                    time.sleep(0.05)
            with conn:
                out = self.read_until(conn, b"(qemu) ")
                self.assertIn(b"Mimic 0.1.0 monitor - type 'help' for more information\r\n", out)
                # Telnet clients send "\r\0" or "\r\n" for Enter.
                conn.sendall(b"info status\r\0")
                self.read_until(conn, b"VM status: paused (prelaunch)\r\n(qemu) ")
                conn.sendall(b"c\r\ninfo status\r\n")
                self.read_until(conn, b"VM status: running\r\n(qemu) ")
        finally:
            process.kill()
            process.wait()


# A -bios image that writes "SOK" to COM1 and halts.
SERIAL_BIOS_CODE = bytes.fromhex("baf803" "b053ee" "b04fee" "b04bee" "f4" "ebfd")


@unittest.skipUnless(HOST and os.path.exists(HOST), "MIMIC_SYSTEM not set")
class NographicDefaultsTest(unittest.TestCase):
    """-nographic puts the default serial port and the default monitor on
    stdio, as QEMU: together through the mux, or whichever of them the
    command line did not place elsewhere."""

    def setUp(self):
        self.dir = tempfile.mkdtemp(prefix="mimic-nographic-")
        self.bios = os.path.join(self.dir, "serial.bin")
        image = bytearray(b"\xf4" * 65536)
        image[0:len(SERIAL_BIOS_CODE)] = SERIAL_BIOS_CODE
        image[0xFFF0:0xFFF5] = bytes.fromhex("ea000000f0")
        with open(self.bios, "wb") as f:
            f.write(image)

    def tearDown(self):
        shutil.rmtree(self.dir)

    def run_vm(self, *args, stdin=b""):
        process = subprocess.Popen([HOST, "-nographic", "-bios", self.bios, *args], stdin=subprocess.PIPE,
                                   stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        try:
            time.sleep(1.0)
            if stdin:
                process.stdin.write(stdin)
                process.stdin.flush()
                time.sleep(0.5)
        finally:
            process.kill()
            out, err = process.communicate()
        return out, err

    def test_serial_stays_on_stdio_with_a_monitor_elsewhere(self):
        for option in ("-monitor", "-qmp"):
            with self.subTest(option):
                sock = os.path.join(self.dir, option[1:] + ".sock")
                out, err = self.run_vm(option, f"unix:{sock},server,nowait")
                self.assertIn(b"SOK", out, err)
                self.assertNotIn(b"(qemu)", out)

    def test_monitor_takes_stdio_when_serial_goes_elsewhere(self):
        serial = os.path.join(self.dir, "serial.out")
        out, err = self.run_vm("-serial", f"file:{serial}", stdin=b"info status\n")
        self.assertIn(b"VM status: running", out, err)
        with open(serial, "rb") as f:
            self.assertEqual(f.read(), b"SOK")
