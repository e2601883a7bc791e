"""The VNC server of the real emulator, through a scripted RFB client
(rfb_client.py) and Debian's gvnccapture: handshakes, authentication, every
encoding against screendump, keys reaching the guest, several clients, a
client vanishing mid-update, the monitor's VNC commands and events, and
-vnc/-display errors as QEMU 7.2 words them.
"""

import os
import shutil
import socket
import struct
import subprocess
import sys
import tempfile
import time
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "monitor"))
import tiny_bios  # noqa: E402
from qmp_client import QmpClient, QmpError  # noqa: E402
import rfb_client  # noqa: E402
from rfb_client import RfbClient, RfbError  # noqa: E402

SYSTEM = os.environ.get("MIMIC_SYSTEM")
PROGRAM = "mimic-system-x86_64"


def free_display():
    """A VNC display number whose port is free now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    return port - 5900


@unittest.skipUnless(SYSTEM and os.path.exists(SYSTEM), "MIMIC_SYSTEM not set")
class VncCase(unittest.TestCase):
    def start(self, vnc, *args, bios=None):
        self.dir = tempfile.mkdtemp(prefix="mimic-vnc-")
        self.qmp_path = os.path.join(self.dir, "qmp.sock")
        argv = [SYSTEM, "-display", "none", "-qmp", f"unix:{self.qmp_path},server,nowait", "-vnc", vnc, *args]
        if bios == "tiny":
            path = os.path.join(self.dir, "tiny.bin")
            tiny_bios.write(path)
            argv += ["-bios", path]
        self.process = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        self.qmp = QmpClient(self.qmp_path)
        self.qmp.negotiate()
        self.clients = []

    def tearDown(self):
        for client in getattr(self, "clients", []):
            client.close()
        if hasattr(self, "qmp"):
            self.qmp.close()
        if hasattr(self, "process"):
            if self.process.poll() is None:
                self.process.kill()
            self.process.wait()
            self.process.stderr.close()
        if hasattr(self, "dir"):
            shutil.rmtree(self.dir)

    def connect(self, address, **kwargs):
        client = RfbClient(address, **kwargs)
        self.clients.append(client)
        return client

    def hmp(self, line):
        return self.qmp.command("human-monitor-command", **{"command-line": line})

    def wait_for(self, predicate, what, timeout=30.0):
        deadline = time.monotonic() + timeout
        while not predicate():
            if time.monotonic() > deadline:
                self.fail(f"timed out waiting for {what}")
            time.sleep(0.05)

    def screendump(self):
        path = os.path.join(self.dir, "screen.ppm")
        self.qmp.command("screendump", filename=path)
        return rfb_client.read_ppm(path)

    def seabios_screen(self):
        """Runs SeaBIOS until its text is on the screen, then stops the VM:
        from then on the picture cannot change."""
        def drawn():
            _, _, rows = self.screendump()
            return len(rows) == 400 and any(any(p for p in row) for row in rows)
        self.wait_for(drawn, "SeaBIOS's text screen", timeout=60)
        self.qmp.command("stop")
        return self.screendump()


class VncDisplayTest(VncCase):
    def test_every_encoding_shows_the_screendump(self):
        sock = os.path.join(tempfile.gettempdir(), f"mimic-vnc-{os.getpid()}.sock")
        self.start(f"unix:{sock}", "-name", "guest1")
        self.addCleanup(lambda: os.path.exists(sock) and os.unlink(sock))
        width, height, rows = self.seabios_screen()
        for version in (3, 7, 8):
            with self.subTest(version=version):
                client = self.connect(sock, version=version)
                self.assertEqual(client.server_version, b"RFB 003.008\n")
                self.assertEqual(client.name, "QEMU (guest1)")
                self.assertEqual((client.width, client.height), (width, height))
                client.request()
                client.read_update()
                self.assertEqual(client.fb, rows)
        for encoding in (rfb_client.RAW, rfb_client.HEXTILE, rfb_client.ZLIB, rfb_client.TIGHT, rfb_client.ZRLE):
            with self.subTest(encoding=encoding):
                client = self.connect(sock)
                client.set_encodings([encoding, rfb_client.COPYRECT, rfb_client.RAW])
                client.request()
                used = client.read_update()
                self.assertTrue(used and all(e == encoding for e in used), used)
                self.assertEqual(client.fb, rows)

    def test_updates_follow_the_guest_and_resizes(self):
        # A guest that sets VBE mode 800x600x32 and writes one pixel through
        # the 0xA0000 window: a resize, then an incremental update.
        code = bytes.fromhex("fa" "bace01")
        for index, value in ((4, 0), (1, 800), (2, 600), (3, 32), (4, 1)):
            code += bytes([0xb8]) + index.to_bytes(2, "little") + b"\xef\x42"
            code += bytes([0xb8]) + value.to_bytes(2, "little") + b"\xef\x4a"
        code += bytes.fromhex("bac403" "b8040e" "ef" "b8020f" "ef")  # chain-4, all planes
        code += bytes.fromhex("b800a0" "8ed8" "c706287d5634" "c6062a7d12" "f4" "ebfd")
        self.dir_bios = tempfile.mkdtemp(prefix="mimic-vnc-bios-")
        self.addCleanup(shutil.rmtree, self.dir_bios)
        bios = os.path.join(self.dir_bios, "vbe.bin")
        image = bytearray(b"\xf4" * 65536)
        image[0:len(code)] = code
        image[0xFFF0:0xFFF5] = bytes.fromhex("ea0000" "00f0")
        with open(bios, "wb") as f:
            f.write(image)
        sock = os.path.join(tempfile.gettempdir(), f"mimic-vnc-r{os.getpid()}.sock")
        self.start(f"unix:{sock}", "-S", "-bios", bios)
        self.addCleanup(lambda: os.path.exists(sock) and os.unlink(sock))
        client = self.connect(sock)
        client.set_encodings([rfb_client.HEXTILE, rfb_client.DESKTOP_SIZE])
        client.request()
        client.read_update()
        self.assertEqual((client.width, client.height), (640, 480))
        self.qmp.command("cont")
        while (client.width, client.height) != (800, 600):
            client.request(incremental=True)
            client.read_update()
        while client.fb[10][10] != 0x123456:
            client.request(incremental=True)
            client.read_update()
        width, height, rows = self.screendump()
        self.assertEqual((width, height), (800, 600))
        self.assertEqual(client.fb, rows)
        self.assertEqual(sum(1 for row in rows for p in row if p), 1)


@unittest.skipUnless(shutil.which("grub-mkrescue") and shutil.which("xorriso"), "grub-mkrescue/xorriso missing")
class VncGrubTest(VncCase):
    """GRUB's graphical menu (gfxterm, VBE 800x600x32) over VNC: the resize,
    keys moving the selection, and the picture equal to screendump, in our
    client and in gvnccapture."""

    GRUB_CFG = (
        "set timeout=-1\ninsmod all_video\ninsmod gfxterm\nloadfont unicode\n"
        "set gfxmode=800x600x32\nterminal_output gfxterm\n"
        'menuentry "FIRST ENTRY" { halt }\nmenuentry "SECOND ENTRY" { halt }\n')
    # Inside the highlight bar of the first and of the second entry.
    FIRST, SECOND = (83, 400), (99, 400)

    def test_grub_menu_over_vnc(self):
        work = tempfile.mkdtemp(prefix="mimic-vnc-grub-")
        self.addCleanup(shutil.rmtree, work)
        os.makedirs(os.path.join(work, "root", "boot", "grub"))
        with open(os.path.join(work, "root", "boot", "grub", "grub.cfg"), "w") as f:
            f.write(self.GRUB_CFG)
        iso = os.path.join(work, "grub.iso")
        subprocess.run(["grub-mkrescue", "-o", iso, os.path.join(work, "root")], check=True,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        display = free_display()
        self.start(f"127.0.0.1:{display}", "-m", "128", "-cdrom", iso, "-boot", "d")
        client = self.connect(("127.0.0.1", 5900 + display))
        client.set_encodings([rfb_client.ZRLE, rfb_client.DESKTOP_SIZE])
        client.request()
        client.read_update()

        def highlighted(row):
            y, x = row
            return client.height == 600 and client.fb[y][x] != 0

        while not highlighted(self.FIRST):
            client.request(incremental=True)
            client.read_update()
        self.assertEqual((client.width, client.height), (800, 600))
        self.assertFalse(highlighted(self.SECOND))
        client.key(0xFF54, True)  # Down
        client.key(0xFF54, False)
        while not highlighted(self.SECOND):
            client.request(incremental=True)
            client.read_update()
        self.assertFalse(highlighted(self.FIRST))
        self.qmp.command("stop")
        width, height, rows = self.screendump()
        client.request()
        client.read_update()
        self.assertEqual(client.fb, rows)
        if shutil.which("gvnccapture"):
            png = os.path.join(work, "capture.png")
            result = subprocess.run(["gvnccapture", "--quiet", f"127.0.0.1:{display}", png],
                                    stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=60)
            self.assertEqual(result.returncode, 0, result.stderr)
            self.assertEqual(rfb_client.read_png(png), (width, height, rows))


class VncInputTest(VncCase):
    """Keys typed into a VNC client reach the guest's keyboard controller
    (tiny_bios.py records every byte from port 0x60 at 0x600)."""

    def scancodes(self, count):
        text = self.hmp(f"xp /{count}xb 0x600")
        return [int(word, 16) for line in text.splitlines() for word in line.split(":")[1].split()]

    def wait_scancodes(self, expected):
        self.wait_for(lambda: self.scancodes(len(expected)) == expected, f"scancodes {expected}, not {self.scancodes(len(expected))}")

    def test_keysyms_through_the_keymap_and_extended_keys(self):
        sock = os.path.join(tempfile.gettempdir(), f"mimic-vnc-k{os.getpid()}.sock")
        self.start(f"unix:{sock}", "-k", "de", bios="tiny")
        self.addCleanup(lambda: os.path.exists(sock) and os.unlink(sock))
        self.wait_for(lambda: self.hmp("xp /1xh 0x500") == "0000000000000500: 0xdead\r\n", "the firmware")
        client = self.connect(sock)
        # 'z' on a German layout is the key of set 2 code 0x35.
        client.key(ord("z"), True)
        client.key(ord("z"), False)
        self.wait_scancodes([0x35, 0xF0, 0x35])
        # QEMU's extended key event gives the key number itself: 0x1e is 'a'.
        client.set_encodings([rfb_client.RAW, rfb_client.EXT_KEY_EVENT])
        client.ext_key(0, 0x1E, True)
        client.ext_key(0, 0x1E, False)
        self.wait_scancodes([0x35, 0xF0, 0x35, 0x1C, 0xF0, 0x1C])
        # The server acknowledged the extension with its pseudo-rectangle.
        client.request(incremental=True)
        while not client.pseudo:
            client.read_update()
        self.assertEqual(client.pseudo[0][0], rfb_client.EXT_KEY_EVENT)
        # A key held when its client vanishes is released.
        client.key(0xFF0D, True)  # Return: set 2 0x5a
        self.wait_scancodes([0x35, 0xF0, 0x35, 0x1C, 0xF0, 0x1C, 0x5A])
        client.close()
        self.wait_scancodes([0x35, 0xF0, 0x35, 0x1C, 0xF0, 0x1C, 0x5A, 0xF0, 0x5A])
        # Pointer events go to the PS/2 mouse (whose disabled stream sends
        # nothing here): the VM keeps running.
        client = self.connect(sock)
        client.pointer(1, 10, 10)
        client.pointer(0, 20, 5)
        self.assertEqual(self.qmp.command("query-status")["status"], "running")


class VncMouseTest(VncCase):
    def test_pointer_motion_and_buttons_reach_the_ps2_mouse(self):
        # tiny_bios.py with a prologue that enables the mouse's data
        # reporting (0xD4 0xF4 through the i8042), so its packets land at
        # 0x600 with the keyboard's bytes.
        prologue = bytes.fromhex("fa" "b0a8e664" "b0d4e664" "b0f4e660")
        self.dir_bios = tempfile.mkdtemp(prefix="mimic-vnc-bios-")
        self.addCleanup(shutil.rmtree, self.dir_bios)
        bios = os.path.join(self.dir_bios, "mouse.bin")
        image = bytearray(b"\xf4" * 65536)
        code = prologue + tiny_bios.CODE
        image[0:len(code)] = code
        image[0xFFF0:0xFFF5] = bytes.fromhex("ea0000" "00f0")
        with open(bios, "wb") as f:
            f.write(image)
        sock = os.path.join(tempfile.gettempdir(), f"mimic-vnc-m{os.getpid()}.sock")
        self.start(f"unix:{sock}", "-bios", bios)
        self.addCleanup(lambda: os.path.exists(sock) and os.unlink(sock))
        self.wait_for(lambda: self.hmp("xp /1xh 0x500") == "0000000000000500: 0xdead\r\n", "the firmware")
        self.assertEqual(self.hmp("info mice"), "* Mouse #2: QEMU PS/2 Mouse\r\n")
        client = self.connect(sock)
        client.pointer(1, 10, 10)   # left button down where the pointer is
        client.pointer(0, 20, 5)    # released, moved right 10 and up 5
        # Ack of 0xF4; a packet with the left button; a packet with the motion
        # (PS/2 counts y upwards).
        expected = [0xFA, 0x09, 0x00, 0x00, 0x08, 0x0A, 0x05]

        def received():
            text = self.hmp(f"xp /{len(expected)}xb 0x600")
            return [int(w, 16) for line in text.splitlines() for w in line.split(":")[1].split()]
        self.wait_for(lambda: received() == expected, f"mouse packets {expected}")
        # With pointer-type change the server says the pointer is relative
        # (x = 0), and the client then sends motion around 0x7fff.
        client.set_encodings([rfb_client.RAW, rfb_client.POINTER_TYPE_CHANGE])
        client.request(incremental=True)
        while not client.pseudo:
            client.read_update()
        self.assertEqual(client.pseudo[0][:2], (rfb_client.POINTER_TYPE_CHANGE, 0))
        client.pointer(0, 0x7FFF + 3, 0x7FFF - 2)
        expected += [0x08, 0x03, 0x02]
        self.wait_for(lambda: received() == expected, f"mouse packets {expected}")


class VncAuthTest(VncCase):
    def test_password(self):
        sock = os.path.join(tempfile.gettempdir(), f"mimic-vnc-a{os.getpid()}.sock")
        self.start(f"unix:{sock},password=on", "-S")
        self.addCleanup(lambda: os.path.exists(sock) and os.unlink(sock))
        # No password set yet: nobody gets in.
        with self.assertRaises(RfbError):
            self.connect(sock, password="")
        self.qmp.command("set_password", protocol="vnc", password="secret12")
        client = self.connect(sock, password="secret12")
        self.assertEqual((client.width, client.height), (640, 480))
        for version in (3, 7, 8):
            with self.subTest(version=version):
                with self.assertRaises(RfbError) as raised:
                    self.connect(sock, version=version, password="wrong")
                if version == 8:
                    self.assertEqual(str(raised.exception), "Authentication failed")
        # Only the first 8 characters count, as in every VNC.
        self.connect(sock, password="secret123")
        self.assertEqual(self.hmp("change vnc password other"), "")
        with self.assertRaises(RfbError):
            self.connect(sock, password="secret12")
        self.connect(sock, version=3, password="other")
        self.qmp.command("expire_password", protocol="vnc", time="now")
        with self.assertRaises(RfbError):
            self.connect(sock, password="other")
        self.qmp.command("expire_password", protocol="vnc", time="never")
        self.connect(sock, password="other")
        with self.assertRaises(QmpError) as raised:
            self.qmp.command("set_password", protocol="spice", password="x")
        self.assertEqual(raised.exception.desc, "SPICE is not in use")

    def test_password_needs_password_auth(self):
        display = free_display()
        self.start(f"127.0.0.1:{display}", "-S")
        with self.assertRaises(QmpError) as raised:
            self.qmp.command("set_password", protocol="vnc", password="x")
        self.assertEqual(raised.exception.desc, "Could not set password")
        self.assertEqual(self.hmp("change vnc password x"),
                         "If you want use passwords please enable password auth using '-vnc ${dpy},password'.\r\n"
                         "Error: Could not set password\r\n")
        self.assertEqual(self.hmp("change vnc :5"), "Expected 'password' after 'vnc'\r\n")
        # Through human-monitor-command nobody can be asked for it.
        self.assertEqual(self.hmp("change vnc password"), "terminal does not support password prompting\r\n")

    def test_password_prompt(self):
        # An interactive monitor asks, echoing stars, as QEMU's does.
        self.clients = []
        sock = os.path.join(tempfile.gettempdir(), f"mimic-vnc-p{os.getpid()}.sock")
        self.addCleanup(lambda: os.path.exists(sock) and os.unlink(sock))
        process = subprocess.Popen([SYSTEM, "-S", "-display", "none", "-monitor", "stdio",
                                    "-vnc", f"unix:{sock},password=on"],
                                   stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        try:
            def read_until(marker):
                data = b""
                while marker not in data:
                    chunk = process.stdout.read1(4096)
                    if not chunk:
                        self.fail(f"no {marker!r} in {data!r}")
                    data += chunk
                return data
            read_until(b"(qemu) ")
            process.stdin.write(b"change vnc password\n")
            process.stdin.flush()
            read_until(b"Password: ")
            process.stdin.write(b"s3cret\n")
            process.stdin.flush()
            echoed = read_until(b"(qemu) ")
            self.assertIn(b"******", echoed)
            self.assertNotIn(b"s3cret", echoed)
            self.connect(sock, password="s3cret")
            with self.assertRaises(RfbError):
                self.connect(sock, password="other")
        finally:
            process.kill()
            process.wait()
            process.stdout.close()
            process.stderr.close()
            process.stdin.close()


class VncClientsTest(VncCase):
    def test_two_clients_events_and_monitor(self):
        display = free_display()
        self.start(f"127.0.0.1:{display}", "-S")
        port = str(5900 + display)
        server = {"auth": "none", "family": "ipv4", "service": port, "host": "127.0.0.1", "websocket": False}
        self.assertEqual(self.qmp.command("query-vnc"),
                         {"enabled": True, "auth": "none", "family": "ipv4", "clients": [], "service": port,
                          "host": "127.0.0.1"})
        a = self.connect(("127.0.0.1", 5900 + display))
        connected = self.qmp.wait_event("VNC_CONNECTED")
        self.assertEqual(connected["data"]["server"], server)
        client_info = connected["data"]["client"]
        self.assertEqual(client_info["host"], "127.0.0.1")
        self.assertEqual(client_info["family"], "ipv4")
        self.assertEqual(self.qmp.wait_event("VNC_INITIALIZED")["data"]["client"], client_info)
        b = self.connect(("127.0.0.1", 5900 + display))
        self.qmp.wait_event("VNC_INITIALIZED")
        for client in (a, b):
            client.request()
            client.read_update()
        self.assertEqual(a.fb, b.fb)
        servers = self.qmp.command("query-vnc-servers")
        self.assertEqual(len(servers), 1)
        self.assertEqual(servers[0]["server"], [server])
        self.assertEqual(servers[0]["id"], "default")
        self.assertEqual(len(servers[0]["clients"]), 2)
        info = self.hmp("info vnc")
        self.assertTrue(info.startswith(f"default:\r\n  Server: 127.0.0.1:{port} (ipv4)\r\n"
                                        "    Auth: none (Sub: none)\r\n  Client: 127.0.0.1:"), info)
        self.assertEqual(info.count("    x509_dname: none\r\n    sasl_username: none\r\n"), 2)
        a.close()
        self.clients.remove(a)
        self.assertEqual(self.qmp.wait_event("VNC_DISCONNECTED")["data"]["client"], client_info)
        # An exclusive client ends the shared ones.
        c = self.connect(("127.0.0.1", 5900 + display), shared=False)
        with self.assertRaises((RfbError, OSError)):
            b.request()
            b.read_update()
        c.request()
        c.read_update()
        # While it is there, shared clients are turned away.
        with self.assertRaises((RfbError, OSError)):
            self.connect(("127.0.0.1", 5900 + display)).read_update()

    def test_force_shared_refuses_exclusive_clients(self):
        sock = os.path.join(tempfile.gettempdir(), f"mimic-vnc-s{os.getpid()}.sock")
        self.start(f"unix:{sock},share=force-shared", "-S")
        self.addCleanup(lambda: os.path.exists(sock) and os.unlink(sock))
        a = self.connect(sock)
        with self.assertRaises((RfbError, OSError)):
            self.connect(sock, shared=False)
        a.request()
        a.read_update()

    def test_client_vanishing_mid_update_changes_nothing(self):
        sock = os.path.join(tempfile.gettempdir(), f"mimic-vnc-v{os.getpid()}.sock")
        self.start(f"unix:{sock}", "-S")
        self.addCleanup(lambda: os.path.exists(sock) and os.unlink(sock))
        survivor = self.connect(sock)
        survivor.request()
        survivor.read_update()
        before = survivor.fb
        for _ in range(5):
            # Ask for a whole raw frame and leave without reading it.
            leaver = RfbClient(sock)
            leaver.set_encodings([rfb_client.RAW])
            for _ in range(20):
                leaver.request()
            leaver.sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\0\0\0\0\0\0\0")
            leaver.close()
            # Half a message, then gone.
            half = RfbClient(sock)
            half.send(b"\x02\x00\x00\x05\x00\x00")
            half.close()
        # Malformed messages close only their own client.
        bad = RfbClient(sock)
        bad.send(b"\x63")
        with self.assertRaises((RfbError, OSError)):
            bad.recv(1)
        bad.close()
        # Asking for replies without ever reading them: cut off, not buffered without end.
        greedy = RfbClient(sock)
        greedy.sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
        message = struct.pack(">BxHi", 2, 1, rfb_client.EXT_KEY_EVENT)
        with self.assertRaises(OSError):
            for _ in range(2000000):  # 32 MiB of answers at most
                greedy.send(message * 64)
        greedy.close()
        huge = RfbClient(sock)
        huge.send(b"\x06\0\0\0\x7f\xff\xff\xff")  # 2 GiB of clipboard text announced
        with self.assertRaises((RfbError, OSError)):
            huge.recv(1)
        huge.close()
        survivor.request()
        survivor.read_update()
        self.assertEqual(survivor.fb, before)
        self.assertEqual(self.qmp.command("query-status")["status"], "prelaunch")
        self.wait_for(lambda: len(self.qmp.command("query-vnc")["clients"]) == 1, "the others to be gone")
        self.assertEqual(self.process.poll(), None)


class GvncCaptureTest(VncCase):
    @unittest.skipUnless(shutil.which("gvnccapture"), "gvnccapture (gvncviewer) not installed")
    def test_gvnccapture_equals_screendump(self):
        display = free_display()
        self.start(f"127.0.0.1:{display}")
        width, height, rows = self.seabios_screen()
        png = os.path.join(self.dir, "capture.png")
        result = subprocess.run(["gvnccapture", "--quiet", f"127.0.0.1:{display}", png],
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=60)
        self.assertEqual(result.returncode, 0, result.stderr)
        self.assertEqual(rfb_client.read_png(png), (width, height, rows))


@unittest.skipUnless(SYSTEM and os.path.exists(SYSTEM), "MIMIC_SYSTEM not set")
class VncErrorTest(unittest.TestCase):
    """Refusals, each one line on stderr and exit status 1, in QEMU 7.2's words."""

    def run_system(self, *args):
        result = subprocess.run([SYSTEM, "-S", "-display", "none", "-monitor", "none", *args],
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=30, text=True)
        return result.returncode, result.stderr

    def test_bad_options(self):
        cases = [
            (["-vnc", "foo"], "-vnc foo: no vnc port specified"),
            (["-vnc", ":abc"], "-vnc :abc: can't convert to a number: abc"),
            (["-vnc", ":-1"], "-vnc :-1: can't convert to a number: -1"),
            (["-vnc", ":70000"], "-vnc :70000: port 70000 out of range"),
            (["-vnc", ":1,bogus=1"], "-vnc :1,bogus=1: Invalid parameter 'bogus'"),
            (["-vnc", ":1,lossy=maybe"], "-vnc :1,lossy=maybe: Parameter 'lossy' expects 'on' or 'off'"),
            (["-vnc", ":1,to=a"], "-vnc :1,to=a: Parameter 'to' expects a number"),
            (["-vnc", ":1,share=foo"], "-vnc :1,share=foo: unknown vnc share= option"),
            (["-vnc", "unix:/nonexistent/x.sock"],
             "-vnc unix:/nonexistent/x.sock: Failed to bind socket to /nonexistent/x.sock: No such file or directory"),
            (["-vnc", "192.0.2.1:1"], "-vnc 192.0.2.1:1: Failed to bind socket: Cannot assign requested address"),
            (["-k", "xx", "-vnc", "unix:/tmp/never-made.sock"],
             "-vnc unix:/tmp/never-made.sock: could not read keymap file: 'xx'"),
            (["-display", "foo"], "-display foo: Parameter 'type' does not accept value 'foo'"),
            (["-display", "vnc"], "-display vnc: VNC requires a display argument vnc=<display>"),
            (["-vnc", ":1,websocket=5701"], "-vnc :1,websocket=5701: VNC over websockets (websocket=) is not supported yet"),
            (["-vnc", ":1,lossy=on"], "-vnc :1,lossy=on: lossy VNC encodings (lossy=on) is not supported yet"),
        ]
        for args, message in cases:
            with self.subTest(args=args):
                code, stderr = self.run_system(*args)
                self.assertEqual((code, stderr), (1, f"{PROGRAM}: {message}\n"))

    def test_short_form_booleans_warn_as_qemu(self):
        with tempfile.TemporaryDirectory() as tmp:
            sock = os.path.join(tmp, "vnc.sock")
            process = subprocess.Popen([SYSTEM, "-S", "-display", "none", "-monitor", "stdio",
                                        "-vnc", f"unix:{sock},password"],
                                       stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
            _, stderr = process.communicate("info vnc\nquit\n", timeout=30)
            self.assertEqual(stderr, f"{PROGRAM}: -vnc unix:{sock},password: warning: short-form boolean option "
                                     "'password' deprecated\nPlease use password=on instead\n")

    def test_address_families(self):
        display = free_display()
        for option, families in (("", ["ipv6", "ipv4"]), (",ipv4=off", ["ipv6"]), (",ipv4=on", ["ipv4"]),
                                 (",ipv6=on", ["ipv6"])):
            with self.subTest(option=option):
                process = subprocess.Popen([SYSTEM, "-S", "-display", "none", "-monitor", "stdio",
                                            "-vnc", f":{display}{option}"],
                                           stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                           text=True)
                out, _ = process.communicate("info vnc\nquit\n", timeout=30)
                servers = [line.split("(")[-1].rstrip(")\r") for line in out.splitlines() if "Server:" in line]
                self.assertEqual(servers, families, out)

    def test_busy_port(self):
        with socket.socket() as busy:
            busy.bind(("127.0.0.1", 0))
            busy.listen()
            display = busy.getsockname()[1] - 5900
            code, stderr = self.run_system("-vnc", f"127.0.0.1:{display}")
            self.assertEqual((code, stderr),
                             (1, f"{PROGRAM}: -vnc 127.0.0.1:{display}: "
                                 "Failed to find an available port: Address already in use\n"))
            # to= moves on to the next free display.
            with tempfile.TemporaryDirectory() as tmp:
                qmp_path = os.path.join(tmp, "qmp.sock")
                process = subprocess.Popen([SYSTEM, "-S", "-display", "none", "-qmp", f"unix:{qmp_path},server,nowait",
                                            "-vnc", f"127.0.0.1:{display},to={display + 50}"],
                                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
                try:
                    qmp = QmpClient(qmp_path)
                    qmp.negotiate()
                    service = int(qmp.command("query-vnc")["service"])
                    self.assertGreater(service, 5900 + display)
                    self.assertLessEqual(service, 5900 + display + 50)
                    qmp.close()
                finally:
                    process.kill()
                    process.wait()


if __name__ == "__main__":
    unittest.main()
