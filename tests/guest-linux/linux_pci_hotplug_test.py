#!/usr/bin/env python3
"""ACPI PCI hot-plug with a real guest: Debian's kernel (acpiphp, built in)
sees a device_add'ed pci-testdev appear and gives it back on device_del.

    linux_pci_hotplug_test.py EMULATOR

Boots the test guest (build_guest.py) by direct kernel boot with
mimic.end=shell, its serial console on the emulator's stdio and QMP on a
unix socket, then:
  1. the guest lists the hotplug slots acpiphp found (/sys/bus/pci/slots);
  2. device_add pci-testdev,id=t1: the guest finds 1b36:0005 in
     /sys/bus/pci/devices;
  3. device_del t1: DEVICE_DELETED arrives once the guest has ejected the
     slot; the device is gone from the guest, from query-pci and from
     `info pci`;
  4. `exit` in the guest's shell powers it off.
EMULATOR may be Debian's qemu-system-x86_64 too, to check the test itself.
"""
import json
import os
import select
import socket
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import build_guest  # noqa: E402

BOOT_TIMEOUT_S = int(os.environ.get("MIMIC_LINUX_BOOT_TIMEOUT", "600"))
STEP_TIMEOUT_S = 60


class Failure(Exception):
    pass


class Console:
    """The guest's serial console on the emulator's stdin/stdout."""

    def __init__(self, process):
        self.process = process
        self.text = b""
        self.seen = 0  # where the next wait() starts looking
        self.marks = 0

    def wait(self, needle, timeout):
        deadline = time.monotonic() + timeout
        needle = needle.encode()
        while True:
            at = self.text.find(needle, self.seen)
            if at >= 0:
                found = self.text[self.seen:at]
                self.seen = at + len(needle)
                return found.decode(errors="replace")
            left = deadline - time.monotonic()
            if left <= 0 or self.process.poll() is not None:
                raise Failure("no %r on the console (last output: %r)" % (needle, self.text[-2000:]))
            ready, _, _ = select.select([self.process.stdout], [], [], min(left, 1.0))
            if ready:
                chunk = os.read(self.process.stdout.fileno(), 65536)
                sys.stdout.write(chunk.decode(errors="replace"))
                sys.stdout.flush()
                self.text += chunk

    def run(self, command, timeout=STEP_TIMEOUT_S):
        """Types `command` into the guest's shell; returns its output. The
        markers around it are computed by the shell, so the echo of the
        typed line never matches them."""
        self.marks += 1
        n = self.marks
        line = "echo MB-$((%d+0)); %s; echo ME-$((%d+0))\n" % (n, command, n)
        self.process.stdin.write(line.encode())
        self.process.stdin.flush()
        self.wait("MB-%d" % n, timeout)
        return self.wait("ME-%d" % n, timeout).replace("\r", "")


class Qmp:
    def __init__(self, path, timeout=STEP_TIMEOUT_S):
        deadline = time.monotonic() + timeout
        while True:
            try:
                self.sock = socket.socket(socket.AF_UNIX)
                self.sock.connect(path)
                break
            except OSError:
                self.sock.close()
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.1)
        self.sock.settimeout(timeout)
        self.file = self.sock.makefile("rw")
        self.events = []
        json.loads(self.file.readline())
        self.command("qmp_capabilities")

    def command(self, name, **arguments):
        self.file.write(json.dumps({"execute": name, "arguments": arguments}) + "\n")
        self.file.flush()
        while True:
            message = json.loads(self.file.readline())
            if "event" in message:
                self.events.append(message)
                continue
            if "error" in message:
                raise Failure("%s: %s" % (name, message["error"]["desc"]))
            return message["return"]

    def wait_event(self, name, timeout):
        deadline = time.monotonic() + timeout
        while True:
            for event in self.events:
                if event["event"] == name:
                    self.events.remove(event)
                    return event
            self.sock.settimeout(max(0.1, deadline - time.monotonic()))
            try:
                self.events.append(json.loads(self.file.readline()))
            except (socket.timeout, TimeoutError):
                raise Failure("no %s event within %d s" % (name, timeout))


def testdev_in_guest(console):
    return console.run("grep -l 0x1b36 /sys/bus/pci/devices/*/vendor 2>/dev/null").strip()


def check(condition, what):
    print("%s: %s" % ("ok" if condition else "FAIL", what), flush=True)
    if not condition:
        raise Failure(what)


def main():
    emulator = sys.argv[1]
    guest = build_guest.build(build_guest.cache_dir())
    with tempfile.TemporaryDirectory(prefix="mimic-pcihp-") as workdir:
        qmp_path = os.path.join(workdir, "qmp.sock")
        # No NIC, so that the first free slot is 3 (VGA has 2).
        command = [emulator, "-m", "256", "-display", "none", "-no-reboot", "-nic", "none", "-serial", "stdio",
                   "-qmp", "unix:%s,server=on,wait=off" % qmp_path,
                   "-kernel", os.path.join(guest, "vmlinuz"), "-initrd", os.path.join(guest, "initrd.img"),
                   "-append", "console=ttyS0 mimic.end=shell"]
        if "qemu" in os.path.basename(emulator):
            command += ["-accel", "tcg"]
        print(" ".join(command), flush=True)
        vm = subprocess.Popen(command, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
        console = Console(vm)
        try:
            qmp = Qmp(qmp_path)
            console.wait("MIMIC-GUEST: busybox shell", BOOT_TIMEOUT_S)
            time.sleep(0.5)  # let the shell start reading

            slots = console.run("ls /sys/bus/pci/slots").split()
            check("3" in slots and "31" in slots, "acpiphp registered the empty slots (%s)" % " ".join(slots))
            check(testdev_in_guest(console) == "", "no pci-testdev before device_add")

            qmp.command("device_add", driver="pci-testdev", id="t1")
            found = console.run("for i in $(seq 300); do grep -q 0x1b36 /sys/bus/pci/devices/*/vendor && break;"
                                " sleep 0.1; done; grep -l 0x1b36 /sys/bus/pci/devices/*/vendor")
            check("/sys/bus/pci/devices/0000:00:03.0/vendor" in found, "the guest found 1b36 at 00:03.0 (%s)"
                  % found.strip())
            check(console.run("cat /sys/bus/pci/devices/0000:00:03.0/device").strip() == "0x0005",
                  "its device ID is 0x0005")

            qmp.command("device_del", id="t1")
            event = qmp.wait_event("DEVICE_DELETED", STEP_TIMEOUT_S)
            check(event["data"] == {"device": "t1", "path": "/machine/peripheral/t1"},
                  "DEVICE_DELETED for t1 (%s)" % json.dumps(event["data"]))
            check(testdev_in_guest(console) == "", "the guest no longer lists the device")
            ids = [(d["id"]["vendor"], d["id"]["device"]) for d in qmp.command("query-pci")[0]["devices"]]
            check((0x1b36, 5) not in ids, "query-pci no longer lists it")
            info = qmp.command("human-monitor-command", **{"command-line": "info pci"})
            check("1b36:0005" not in info, "info pci no longer lists it")

            vm.stdin.write(b"exit\n")
            vm.stdin.flush()
            code = vm.wait(timeout=STEP_TIMEOUT_S)
            check(code == 0, "the guest powered off (exit status %s)" % code)
            print("PASS")
            return 0
        except (Failure, OSError, subprocess.TimeoutExpired) as e:
            print("FAIL: %s" % e, flush=True)
            return 1
        finally:
            if vm.poll() is None:
                vm.kill()
            vm.wait()


if __name__ == "__main__":
    sys.exit(main())
