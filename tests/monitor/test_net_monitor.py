"""Networking through the real emulator: -netdev/-nic/-net, the monitor's
netdev_add/netdev_del, set_link, hostfwd_add/hostfwd_remove, info network
and info usernet, and socket back ends carrying frames.

Every expected text is what QEMU 7.2 (Debian's qemu-system-x86_64) prints
for the same command line and input; only what differs from run to run is
masked: the random digits of generated "#net" ids, slirp's socket fds, and
ports picked free at run time. The suite also passes with
MIMIC_SYSTEM=qemu-system-x86_64, which is how the texts were checked.
"""

import fcntl
import os
import re
import shutil
import socket
import struct
import subprocess
import time
import unittest

from qmp_client import QmpError
from test_vm_monitor import SYSTEM, VmCase

IS_QEMU = bool(SYSTEM) and os.path.basename(SYSTEM).startswith("qemu")
PROGRAM = os.path.basename(SYSTEM) if SYSTEM else ""


def free_port(kind=socket.SOCK_STREAM):
    with socket.socket(socket.AF_INET, kind) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def mask(text):
    text = text.replace("\r\n", "\n")
    text = re.sub(r"#net(\d)\d\d", r"#net\1xx", text)
    # slirp's table: the FD column.
    return re.sub(r"^(  \S+) +-?\d+ ", r"\1  FD ", text, flags=re.M)


class NetCase(VmCase):
    def hmp_lines(self, *lines):
        return {line: mask(self.hmp(line)) for line in lines}


@unittest.skipUnless(SYSTEM and os.path.exists(SYSTEM) or IS_QEMU, "MIMIC_SYSTEM not set")
class InfoNetworkLayoutTest(NetCase):
    def test_netdev_with_nic(self):
        self.start("-S", "-nodefaults", "-netdev", "user,id=n0", "-device", "e1000,netdev=n0")
        self.assertEqual(mask(self.hmp("info network")),
                         "e1000.0: index=0,type=nic,model=e1000,macaddr=52:54:00:12:34:56\n"
                         " \\ n0: index=0,type=user,net=10.0.2.0,restrict=off\n")

    def test_default_network_is_net_nic_and_net_user_on_hub_0(self):
        self.start("-S")
        self.assertEqual(mask(self.hmp("info network")),
                         "hub 0\n"
                         " \\ hub0port1: #net1xx: index=0,type=user,net=10.0.2.0,restrict=off\n"
                         " \\ hub0port0: e1000.0: index=0,type=nic,model=e1000,macaddr=52:54:00:12:34:56\n")

    def test_nodefaults_has_no_network(self):
        self.start("-S", "-nodefaults")
        self.assertEqual(self.hmp("info network"), "")

    def test_nic_none_has_no_network(self):
        self.start("-S", "-nic", "none")
        self.assertEqual(self.hmp("info network"), "")

    def test_net_none_has_no_network(self):
        self.start("-S", "-net", "none")
        self.assertEqual(self.hmp("info network"), "")

    def test_nic_options(self):
        self.start("-S", "-nic", "user", "-nic", "user,id=abc,mac=52:54:00:aa:bb:cc,net=10.1.0.0/16,restrict=on")
        self.assertEqual(mask(self.hmp("info network")),
                         "e1000.0: index=0,type=nic,model=e1000,macaddr=52:54:00:12:34:56\n"
                         " \\ #net0xx: index=0,type=user,net=10.0.2.0,restrict=off\n"
                         "e1000.1: index=0,type=nic,model=e1000,macaddr=52:54:00:aa:bb:cc\n"
                         " \\ abc: index=0,type=user,net=10.1.0.0,restrict=on\n")

    def test_legacy_net_on_hub_0(self):
        self.start("-S", "-net", "nic", "-net", "nic,macaddr=52:54:00:00:00:09", "-net", "user,id=joe")
        self.assertEqual(mask(self.hmp("info network")),
                         "hub 0\n"
                         " \\ hub0port2: joe: index=0,type=user,net=10.0.2.0,restrict=off\n"
                         " \\ hub0port1: e1000.1: index=0,type=nic,model=e1000,macaddr=52:54:00:00:00:09\n"
                         " \\ hub0port0: e1000.0: index=0,type=nic,model=e1000,macaddr=52:54:00:12:34:56\n")

    def test_hubports(self):
        self.start("-S", "-nodefaults", "-netdev", "hubport,id=h0,hubid=2", "-netdev", "hubport,id=h1,hubid=2",
                   "-netdev", "user,id=u", "-device", "e1000,netdev=h0", "-netdev", "hubport,id=h5,hubid=5")
        self.assertEqual(mask(self.hmp("info network")),
                         "hub 5\n"
                         " \\ h5\n"
                         "hub 2\n"
                         " \\ h1\n"
                         " \\ h0: e1000.0: index=0,type=nic,model=e1000,macaddr=52:54:00:12:34:56\n"
                         "u: index=0,type=user,net=10.0.2.0,restrict=off\n")
        stderr = self.stop_and_read_stderr()
        self.assertIn(f"{PROGRAM}: warning: hub port h5 has no peer\n", stderr)
        self.assertIn(f"{PROGRAM}: warning: hub port h1 has no peer\n", stderr)
        self.assertIn(f"{PROGRAM}: warning: hub 2 is not connected to host network\n", stderr)
        self.assertIn(f"{PROGRAM}: warning: netdev u has no peer\n", stderr)

    def stop_and_read_stderr(self):
        self.qmp.command("quit")
        self.process.wait(timeout=10)
        return self.process.stderr.read().decode()


@unittest.skipUnless(SYSTEM and os.path.exists(SYSTEM) or IS_QEMU, "MIMIC_SYSTEM not set")
class NetdevCommandsTest(NetCase):
    def setUp(self):
        self.start("-S", "-nodefaults", "-netdev", "user,id=n0", "-device", "e1000,netdev=n0")

    def test_hmp_netdev_add_del_and_set_link(self):
        nic = "e1000.0: index=0,type=nic,model=e1000,macaddr=52:54:00:12:34:56\n"
        n0 = " \\ n0: index=0,type=user,net=10.0.2.0,restrict=off\n"
        steps = [
            ("set_link n0 off", ""),
            ("set_link e1000.0 on", ""),
            ("set_link nope on", "Error: Device 'nope' not found\n"),
            ("set_link n0 maybe", "Expected 'on' or 'off'\nTry \"help set_link\" for more information\n"),
            ("netdev_add user,id=n1", ""),
            ("netdev_add foo,id=x", "Error: Parameter 'type' does not accept value 'foo'\n"),
            ("netdev_add user", "Error: Parameter 'id' is missing\n"),
            ("netdev_add", "Error: Parameter 'id' is missing\n"),
            ("netdev_del", "netdev_del: string expected\nTry \"help netdev_del\" for more information\n"),
            ("netdev_add user,id=n2,bad=1", "Error: Invalid parameter 'bad'\n"),
            ("info network", nic + n0 + "n1: index=0,type=user,net=10.0.2.0,restrict=off\n"),
            ("netdev_del n1", ""),
            ("netdev_del n1", "Error: Device 'n1' not found\n"),
            # A back end a NIC still uses stays listed as its peer.
            ("netdev_del n0", ""),
            ("netdev_del n0", "Error: Device 'n0' not found\n"),
            ("info network", nic + n0),
            ("netdev_add hubport,id=hp,hubid=3", ""),
            ("netdev_del hp", ""),
            ("info network", "hub 3\n" + nic + n0),
        ]
        for line, expected in steps:
            self.assertEqual(mask(self.hmp(line)), expected, line)

    def test_qmp_netdev_add_del_and_set_link(self):
        self.qmp.command("netdev_add", type="user", id="q1", hostfwd=[{"str": f"tcp:127.0.0.1:{free_port()}-:22"}])
        self.qmp.command("netdev_add", type="user", id="q2", restrict=True, ipv6=False, net="10.1.0.0/16")
        failures = [
            (dict(type="user", id="q2"), "GenericError", "Duplicate ID 'q2'"),
            (dict(type="bogus", id="x"), "GenericError", "Parameter 'type' does not accept value 'bogus'"),
            (dict(type="user", id="x", zz=1), "GenericError", "Parameter 'zz' is unexpected"),
            (dict(type="hubport", id="h", hubid="1"), "GenericError",
             "Invalid parameter type for 'hubid', expected: integer"),
            (dict(type="user", id="x", hostfwd="tcp::1-:2"), "GenericError",
             "Invalid parameter type for 'hostfwd', expected: array"),
            (dict(type="socket", id="s"), "GenericError",
             "exactly one of listen=, connect=, mcast= or udp= is required"),
            (dict(type="user", id="x", hostfwd=[{"str": "tcp::bad"}]), "GenericError",
             "Invalid host forwarding rule 'tcp::bad' (Bad host port separator)"),
        ]
        for args, error_class, desc in failures:
            with self.assertRaises(QmpError, msg=str(args)) as raised:
                self.qmp.command("netdev_add", **args)
            self.assertEqual((raised.exception.error_class, raised.exception.desc), (error_class, desc))
        for command, args in (("netdev_del", {"id": "nope"}), ("set_link", {"name": "zz", "up": False})):
            error = self.qmp.execute(command, args)["error"]
            self.assertEqual((error["class"], error["desc"]),
                             ("DeviceNotFound", f"Device '{list(args.values())[0]}' not found"))
        self.qmp.command("netdev_del", id="q1")
        self.assertEqual(self.qmp.execute("set_link", {"name": "q2", "up": False})["return"], {})
        self.assertEqual(mask(self.hmp("info network")),
                         "e1000.0: index=0,type=nic,model=e1000,macaddr=52:54:00:12:34:56\n"
                         " \\ n0: index=0,type=user,net=10.0.2.0,restrict=off\n"
                         "q2: index=0,type=user,net=10.1.0.0,restrict=on\n")

    def test_hmp_duplicate_netdev_id(self):
        self.assertEqual(self.hmp("netdev_add user,id=n0"), "Try \"help netdev_add\" for more information\r\n")


@unittest.skipUnless(SYSTEM and os.path.exists(SYSTEM) or IS_QEMU, "MIMIC_SYSTEM not set")
class UsernetTest(NetCase):
    def test_info_usernet_and_host_forwards(self):
        p1, p2 = free_port(), free_port()
        p3 = free_port(socket.SOCK_DGRAM)
        self.start("-S", "-nodefaults", "-netdev", f"user,id=n0,hostfwd=tcp::{p1}-10.0.2.15:22",
                   "-device", "e1000,netdev=n0")
        head = ("Hub -1 (n0):\n"
                "  Protocol[State]    FD  Source Address  Port   Dest. Address  Port RecvQ SendQ\n")
        fwd1 = f"  TCP[HOST_FORWARD]  FD               * {p1:5d}       10.0.2.15    22     0     0\n"
        fwd2 = f"  TCP[HOST_FORWARD]  FD       127.0.0.1 {p2:5d}       10.0.2.15    22     0     0\n"
        fwd3 = f"  UDP[HOST_FORWARD]  FD       127.0.0.1 {p3:5d}       10.0.2.15    23     0     0\n"
        steps = [
            ("info usernet", head + fwd1),
            (f"hostfwd_add tcp:127.0.0.1:{p2}-:22", ""),
            ("info usernet", head + fwd2 + fwd1),
            (f"hostfwd_add n0 udp:127.0.0.1:{p3}-:23", ""),
            ("info usernet", head + fwd2 + fwd1 + fwd3),
            (f"hostfwd_remove tcp:127.0.0.1:{p2}", f"host forwarding rule for tcp:127.0.0.1:{p2} removed\n"),
            (f"hostfwd_remove tcp:127.0.0.1:{p2}", f"host forwarding rule for tcp:127.0.0.1:{p2} not found\n"),
            ("hostfwd_remove bogus", "invalid format\n"),
            ("hostfwd_add bad", "Invalid host forwarding rule 'bad' (No : separators)\n"),
            ("hostfwd_add tcp::5555-:22x", "Invalid host forwarding rule 'tcp::5555-:22x' (Bad guest port)\n"),
            ("hostfwd_add nope tcp::1-:2", "unrecognized netdev id 'nope'\n"),
            ("info usernet", head + fwd1 + fwd3),
        ]
        for line, expected in steps:
            self.assertEqual(mask(self.hmp(line)), expected, line)
        # The forward really listens on the host.
        with socket.create_connection(("127.0.0.1", p1), timeout=5):
            pass

    def test_rules_from_the_command_line_are_set_up_last_first(self):
        ports = [free_port() for _ in range(3)]
        self.start("-S", "-nodefaults", "-netdev",
                   "user,id=n0," + ",".join(f"hostfwd=tcp:127.0.0.1:{p}-:{i + 1}" for i, p in enumerate(ports)))
        rows = [line.split()[3] for line in self.hmp("info usernet").splitlines() if "HOST_FORWARD" in line]
        # slirp lists the newest first.
        self.assertEqual(rows, [str(p) for p in ports])

    def test_usernet_on_a_hub_and_without_user(self):
        self.start("-S", "-nodefaults", "-netdev", "socket,id=s,udp=127.0.0.1:9,localaddr=127.0.0.1:0")
        self.assertEqual(self.hmp("info usernet"), "")
        self.assertEqual(self.hmp("hostfwd_add tcp::1-:2"), "user mode network stack not in use\r\n")
        self.assertEqual(self.hmp("hostfwd_add s tcp::1-:2"), "invalid device specified\r\n")

    def test_guestfwd_to_a_chardev(self):
        server = socket.socket()
        server.bind(("127.0.0.1", 0))
        server.listen(1)
        server.settimeout(10)
        self.addCleanup(server.close)
        port = server.getsockname()[1]
        self.start("-S", "-nodefaults", "-netdev", f"user,id=n0,guestfwd=tcp:10.0.2.100:1234-tcp:127.0.0.1:{port}")
        connection, (_, local_port) = server.accept()
        self.addCleanup(connection.close)
        self.assertEqual(self.hmp("info chardev").split("\r\n")[0],
                         f"guestfwd.tcp.1234: filename=tcp:127.0.0.1:{local_port} <-> 127.0.0.1:{port}")

    def test_usernet_on_hub_0(self):
        self.start("-S", "-net", "nic", "-net", "user")
        self.assertTrue(mask(self.hmp("info usernet")).startswith("Hub 0 (#net1xx):\n  Protocol[State]"))


@unittest.skipUnless(SYSTEM and os.path.exists(SYSTEM) or IS_QEMU, "MIMIC_SYSTEM not set")
class CommandLineErrorsTest(unittest.TestCase):
    CASES = [
        ("-netdev", "user,id=n,hostfwd=tcp::bad",
         "Invalid host forwarding rule 'tcp::bad' (Bad host port separator)"),
        ("-netdev", "user,id=n,net=10.0.2.0/33", "Invalid netmask provided (must be in range 4-32)"),
        ("-netdev", "user,id=n,dhcpstart=10.0.2.3", "DHCP must be different from host and DNS"),
        ("-netdev", "user,id=n,ipv4=off,ipv6=off", "IPv4 and IPv6 disabled"),
        ("-netdev", "user,id=n,foo=1", "Invalid parameter 'foo'"),
        ("-netdev", "user", "Parameter 'id' is missing"),
        ("-netdev", "tap,id=t,fd=abc", "Invalid file descriptor number 'abc'"),
        ("-netdev", "tap,id=t,fd=99", "t: Can't use file descriptor 99: Bad file descriptor"),
        ("-netdev", "socket,id=s", "exactly one of listen=, connect=, mcast= or udp= is required"),
        ("-netdev", "socket,id=s,listen=1234", "host address '1234' doesn't contain ':' separating host from port"),
        ("-netdev", "socket,id=s,udp=127.0.0.1:1", "localaddr= is mandatory with udp="),
        ("-netdev", "hubport,id=h", "Parameter 'hubid' is missing"),
        ("-nic", "user,mac=zz", "invalid syntax for ethernet address"),
        ("-nic", "user,mac=01:00:00:00:00:01", "NIC cannot have multicast MAC address"),
        ("-net", "nic,netdev=zz", "netdev 'zz' not found"),
        ("-net", "user,name=bob", "Invalid parameter 'name'"),
        ("-net", "hubport,hubid=3", "network backend 'hubport' is only supported with -netdev/-nic"),
        ("-net", "bogus", "Parameter 'type' does not accept value 'bogus'"),
        ("-netdev", "bogus", "Parameter 'id' is missing"),
        ("-netdev", "bogus,id=x", "Parameter 'type' does not accept value 'bogus'"),
        ("-netdev", "hubport,id=h,hubid=99999999999", "Parameter 'hubid' expects int32_t"),
    ]

    def run_vm(self, *args):
        return subprocess.run([SYSTEM, "-display", "none", "-S", "-nodefaults", *args],
                              stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=20)

    def test_one_line_errors_exit_1(self):
        for option, value, message in self.CASES:
            with self.subTest(option=option, value=value):
                result = self.run_vm(option, value)
                self.assertEqual(result.returncode, 1)
                self.assertEqual(result.stderr, f"{PROGRAM}: {option} {value}: {message}\n")

    def test_unknown_nic_model(self):
        for args in (["-nic", "user,model=foo"], ["-net", "nic,model=foo", "-net", "user"]):
            result = self.run_vm(*args)
            self.assertEqual((result.returncode, result.stderr), (1, f"{PROGRAM}: Unsupported NIC model: foo\n"))

    def test_q35_default_nic_model_is_the_e1000e(self):
        # QEMU's q35 defaults to the e1000e, which Mimic does not model: a
        # NIC without model= is refused there.
        for machine in ("q35", "pc-q35-7.2"):
            with self.subTest(machine=machine):
                result = self.run_vm("-M", machine, "-nic", "user")
                self.assertEqual((result.returncode, result.stderr),
                                 (1, f"{PROGRAM}: Unsupported NIC model: e1000e\n"))

    def test_net_nic_addr_places_the_card(self):
        with subprocess.Popen([SYSTEM, "-display", "none", "-S", "-net", "nic,addr=5", "-net", "user",
                               "-monitor", "stdio"], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                              stderr=subprocess.DEVNULL) as vm:
            out, _ = vm.communicate(b"info pci\nquit\n", timeout=20)
        self.assertIn("  Bus  0, device   5, function 0:\r\n    Ethernet controller: PCI device 8086:100e",
                      out.decode(errors="replace"))

    def test_nic_model_help(self):
        result = subprocess.run([SYSTEM, "-net", "nic,model=help"], capture_output=True, text=True, timeout=20)
        self.assertEqual(result.returncode, 0)
        self.assertTrue(result.stdout.startswith("Supported NIC models:\n"), result.stdout)
        self.assertIn("\ne1000\n", result.stdout)


@unittest.skipUnless(SYSTEM and os.path.exists(SYSTEM) or IS_QEMU, "MIMIC_SYSTEM not set")
class SocketBackendTest(NetCase):
    """Frames through socket back ends and a hub, with no guest: a frame
    sent on one connection comes out of the other, in QEMU's framing."""

    def test_stream_sockets_relay_through_a_hub(self):
        p1, p2 = free_port(), free_port()
        self.start("-bios", "@TINY@", "-nodefaults",
                   "-netdev", f"socket,id=s1,listen=127.0.0.1:{p1}",
                   "-netdev", f"socket,id=s2,listen=127.0.0.1:{p2}",
                   "-netdev", "hubport,id=p1,hubid=1,netdev=s1",
                   "-netdev", "hubport,id=p2,hubid=1,netdev=s2")
        a = socket.create_connection(("127.0.0.1", p1), timeout=5)
        b = socket.create_connection(("127.0.0.1", p2), timeout=5)
        self.addCleanup(a.close)
        self.addCleanup(b.close)
        local_a, local_b = a.getsockname()[1], b.getsockname()[1]
        self.wait_for(lambda: "connection from" in self.hmp("info network").split("p1:")[-1], "accepts")
        self.wait_for(lambda: self.hmp("info network").count("connection from") == 2, "both accepts")
        self.assertEqual(mask(self.hmp("info network")),
                         "hub 1\n"
                         f" \\ p2: s2: index=0,type=socket,socket: connection from 127.0.0.1:{local_b}\n"
                         f" \\ p1: s1: index=0,type=socket,socket: connection from 127.0.0.1:{local_a}\n")
        frames = [bytes([i]) * (60 + 100 * i) for i in range(10)]
        a.sendall(b"".join(struct.pack(">I", len(f)) + f for f in frames))
        received = b""
        want = sum(4 + len(f) for f in frames)
        while len(received) < want:
            chunk = b.recv(65536)
            self.assertTrue(chunk, "connection closed")
            received += chunk
        got, pos = [], 0
        while pos < len(received):
            (length,) = struct.unpack(">I", received[pos:pos + 4])
            got.append(received[pos + 4:pos + 4 + length])
            pos += 4 + length
        self.assertEqual(got, frames)
        # A peer hanging up puts the listener back to waiting.
        a.close()
        self.wait_for(lambda: "s1: index=0,type=socket,\r\n" in self.hmp("info network"), "the listener to reset")

    def test_udp_sockets_relay_through_a_hub(self):
        mine = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        mine.bind(("127.0.0.1", 0))
        mine.settimeout(5)
        self.addCleanup(mine.close)
        l1, l2 = free_port(socket.SOCK_DGRAM), free_port(socket.SOCK_DGRAM)
        to_me = mine.getsockname()[1]
        self.start("-bios", "@TINY@", "-nodefaults",
                   "-netdev", f"socket,id=u1,udp=127.0.0.1:{to_me},localaddr=127.0.0.1:{l1}",
                   "-netdev", f"socket,id=u2,udp=127.0.0.1:{to_me},localaddr=127.0.0.1:{l2}",
                   "-netdev", "hubport,id=p1,hubid=1,netdev=u1",
                   "-netdev", "hubport,id=p2,hubid=1,netdev=u2")
        self.assertIn(f"u1: index=0,type=socket,socket: udp=127.0.0.1:{to_me}\r\n", self.hmp("info network"))
        frame = bytes(range(64))
        mine.sendto(frame, ("127.0.0.1", l1))
        data, sender = mine.recvfrom(65536)
        self.assertEqual((data, sender[1]), (frame, l2))


def checksum(data):
    if len(data) % 2:
        data += b"\0"
    total = sum(struct.unpack(f"!{len(data) // 2}H", data))
    while total >> 16:
        total = (total & 0xFFFF) + (total >> 16)
    return ~total & 0xFFFF


GUEST_MAC = bytes.fromhex("525400123499")


def ethernet(dst, ethertype, payload):
    return dst + GUEST_MAC + struct.pack("!H", ethertype) + payload


def ipv4_udp(src, dst, sport, dport, data):
    datagram = struct.pack("!HHHH", sport, dport, 8 + len(data), 0) + data  # no UDP checksum
    header = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(datagram), 1, 0, 64, 17, 0,
                         socket.inet_aton(src), socket.inet_aton(dst))
    header = header[:10] + struct.pack("!H", checksum(header)) + header[12:]
    return ethernet(b"\xff" * 6 if dst == "255.255.255.255" else GATEWAY_MAC[0], 0x0800, header + datagram)


GATEWAY_MAC = [b"\xff" * 6]


def dhcp_discover():
    bootp = struct.pack("!BBBBIHH16x16s64x128x", 1, 1, 6, 0, 0x4D494D43, 0, 0x8000, GUEST_MAC)
    bootp += bytes.fromhex("63825363") + bytes([53, 1, 1, 255])
    return ipv4_udp("0.0.0.0", "255.255.255.255", 68, 67, bootp)


class FrameStream:
    """The test's end of a stream socket back end: QEMU's framing."""

    def __init__(self, port):
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=10)
        self.buffer = b""

    def close(self):
        self.sock.close()

    def send(self, frame):
        self.sock.sendall(struct.pack(">I", len(frame)) + frame)

    def receive(self, timeout=10):
        self.sock.settimeout(timeout)
        while len(self.buffer) < 4 or len(self.buffer) < 4 + struct.unpack(">I", self.buffer[:4])[0]:
            chunk = self.sock.recv(65536)
            if not chunk:
                raise EOFError("stream closed")
            self.buffer += chunk
        length = struct.unpack(">I", self.buffer[:4])[0]
        frame, self.buffer = self.buffer[4:4 + length], self.buffer[4 + length:]
        return frame

    def nothing_within(self, seconds):
        try:
            self.receive(timeout=seconds)
        except socket.timeout:
            return True
        return False


@unittest.skipUnless(SYSTEM and os.path.exists(SYSTEM) or IS_QEMU, "MIMIC_SYSTEM not set")
class UserStackTest(NetCase):
    """The slirp stack through a hub and a socket back end, with the test
    playing the guest: DHCP, ARP, TFTP, set_link and a stopped VM."""

    def start_stack(self, user_options, *extra):
        port = free_port()
        self.tftp = os.path.join(self.dir_for_tftp(), "root")
        os.makedirs(self.tftp)
        with open(os.path.join(self.tftp, "hello.txt"), "wb") as f:
            f.write(b"tftp works\n")
        self.start("-bios", "@TINY@", "-nodefaults", *extra,
                   "-netdev", f"socket,id=s,listen=127.0.0.1:{port}",
                   "-netdev", f"user,id=u,tftp={self.tftp},{user_options}",
                   "-netdev", "hubport,id=a,hubid=1,netdev=s",
                   "-netdev", "hubport,id=b,hubid=1,netdev=u")
        self.stream = FrameStream(port)
        self.addCleanup(self.stream.close)
        self.wait_for(lambda: "connection from" in self.hmp("info network"), "the accept")

    def dir_for_tftp(self):
        import tempfile
        path = tempfile.mkdtemp(prefix="mimic-net-tftp-")
        self.addCleanup(shutil.rmtree, path)
        return path

    def offer(self):
        frame = self.stream.receive()
        self.assertEqual(frame[12:14], b"\x08\x00")
        bootp = frame[14 + 20 + 8:]
        self.assertEqual(bootp[4:8], struct.pack("!I", 0x4D494D43))  # our xid
        return (socket.inet_ntoa(bootp[16:20]), socket.inet_ntoa(bootp[20:24]), bootp[108:236].rstrip(b"\0"))

    def test_dhcp_offer_follows_the_options(self):
        self.start_stack("bootfile=pxelinux.0")
        self.stream.send(dhcp_discover())
        self.assertEqual(self.offer(), ("10.0.2.15", "10.0.2.2", b"pxelinux.0"))

    def test_dhcp_offer_in_another_network(self):
        self.start_stack("net=192.168.76.0/24,dhcpstart=192.168.76.9")
        self.stream.send(dhcp_discover())
        self.assertEqual(self.offer()[:2], ("192.168.76.9", "192.168.76.2"))

    def test_arp_and_tftp_with_short_frames_padded(self):
        self.start_stack("hostname=probe")
        arp = struct.pack("!HHBBH6s4s6s4s", 1, 0x0800, 6, 4, 1, GUEST_MAC, socket.inet_aton("10.0.2.15"),
                          b"\0" * 6, socket.inet_aton("10.0.2.2"))
        self.stream.send(ethernet(b"\xff" * 6, 0x0806, arp))
        reply = self.stream.receive()
        self.assertEqual((reply[12:14], reply[20:22], reply[28:32]), (b"\x08\x06", b"\x00\x02", socket.inet_aton("10.0.2.2")))
        GATEWAY_MAC[0] = reply[6:12]
        self.stream.send(ipv4_udp("10.0.2.15", "10.0.2.2", 1234, 69, b"\0\x01hello.txt\0octet\0"))
        data = self.stream.receive()
        udp_payload = data[14 + 20 + 8:]
        self.assertEqual(udp_payload[:4], b"\0\x03\0\x01")  # DATA, block 1
        self.assertEqual(udp_payload[4:15], b"tftp works\n")
        self.assertEqual(len(data), 60)  # 57 bytes padded, as QEMU pads what slirp sends

    def test_set_link_off_drops_and_on_restores(self):
        self.start_stack("")
        self.assertEqual(self.hmp("set_link u off"), "")
        self.stream.send(dhcp_discover())
        self.assertTrue(self.stream.nothing_within(0.5), "a reply through an unplugged cable")
        self.assertEqual(self.hmp("set_link u on"), "")
        self.stream.send(dhcp_discover())
        self.assertEqual(self.offer()[0], "10.0.2.15")

    def test_stopped_vm_holds_frames_until_cont(self):
        self.start_stack("")
        self.qmp.command("stop")
        self.stream.send(dhcp_discover())
        self.assertTrue(self.stream.nothing_within(0.5), "a frame delivered while the VM is stopped")
        self.qmp.command("cont")
        self.assertEqual(self.offer()[0], "10.0.2.15")


def tap_usable():
    try:
        with open("/dev/net/tun", "rb"):
            return os.geteuid() == 0
    except OSError:
        return False


def set_interface_up(name):
    SIOCGIFFLAGS, SIOCSIFFLAGS, IFF_UP = 0x8913, 0x8914, 0x1
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        request = struct.pack("16sH14x", name.encode(), 0)
        flags = struct.unpack("16sH14x", fcntl.ioctl(s, SIOCGIFFLAGS, request))[1]
        fcntl.ioctl(s, SIOCSIFFLAGS, struct.pack("16sH14x", name.encode(), flags | IFF_UP))


@unittest.skipUnless(SYSTEM and os.path.exists(SYSTEM) or IS_QEMU, "MIMIC_SYSTEM not set")
class TapBackendTest(NetCase):
    def test_without_permission_one_line_error(self):
        argv = [SYSTEM, "-display", "none", "-S", "-nodefaults", "-netdev", "tap,id=t0,script=no,downscript=no"]
        if os.geteuid() == 0:
            if not shutil.which("setpriv"):
                self.skipTest("setpriv (util-linux) not installed")
            argv = ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups"] + argv
        result = subprocess.run(argv, stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=20)
        self.assertEqual((result.returncode, result.stderr),
                         (1, f"{PROGRAM}: -netdev tap,id=t0,script=no,downscript=no: "
                             "could not open /dev/net/tun: Permission denied\n"))

    @staticmethod
    def read_framed(stream, wanted):
        """Reads length-prefixed frames from `stream` until one is `wanted`."""
        buffer = b""
        while True:
            while len(buffer) < 4 or len(buffer) < 4 + struct.unpack(">I", buffer[:4])[0]:
                chunk = stream.recv(65536)
                if not chunk:
                    raise EOFError("stream closed")
                buffer += chunk
            length = struct.unpack(">I", buffer[:4])[0]
            frame, buffer = buffer[4:4 + length], buffer[4 + length:]
            if wanted(frame):
                return frame

    @unittest.skipUnless(tap_usable(), "needs root and /dev/net/tun")
    def test_frames_between_the_host_interface_and_a_socket(self):
        """The kernel's side of the TAP sends a frame; it comes out of a
        socket back end on the same hub, and the way back."""
        ifname = f"mimictap{os.getpid() % 10000}"
        port = free_port()
        self.start("-bios", "@TINY@", "-nodefaults",
                   "-netdev", f"tap,id=t0,ifname={ifname},script=no,downscript=no",
                   "-netdev", f"socket,id=s0,listen=127.0.0.1:{port}",
                   "-netdev", "hubport,id=p0,hubid=1,netdev=t0",
                   "-netdev", "hubport,id=p1,hubid=1,netdev=s0")
        self.assertIn(f"t0: index=0,type=tap,ifname={ifname},script=no,downscript=no",
                      self.hmp("info network"))
        set_interface_up(ifname)
        peer = socket.create_connection(("127.0.0.1", port), timeout=5)
        self.addCleanup(peer.close)
        self.wait_for(lambda: "connection from" in self.hmp("info network"), "the accept")
        host = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(0x88B5))
        host.bind((ifname, 0))
        host.settimeout(5)
        self.addCleanup(host.close)
        # 88B5: the IEEE "local experimental" EtherType, which nothing in
        # the host kernel answers or sends.
        out_frame = b"\x02\x00\x00\x00\x00\x01" + b"\x02\x00\x00\x00\x00\x02" + b"\x88\xb5" + b"to-socket".ljust(46, b".")
        host.send(out_frame)
        # The kernel sends its own frames (IPv6 neighbour discovery) when
        # the interface comes up; ours is the one with our EtherType.
        self.assertEqual(self.read_framed(peer, lambda f: f[12:14] == b"\x88\xb5"), out_frame)
        in_frame = b"\x02\x00\x00\x00\x00\x02" + b"\x02\x00\x00\x00\x00\x01" + b"\x88\xb5" + b"to-host".ljust(46, b".")
        peer.sendall(struct.pack(">I", len(in_frame)) + in_frame)
        while True:
            got = host.recv(65536)
            if got[12:14] == b"\x88\xb5" and got.startswith(in_frame[:6]):
                break
        self.assertEqual(got, in_frame)


if __name__ == "__main__":
    unittest.main()
