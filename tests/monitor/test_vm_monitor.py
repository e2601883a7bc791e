"""The monitor of the real emulator: machine, CPU, memory, block, input and
display commands, through QMP (qmp_client.py) and HMP.

Runs $MIMIC_SYSTEM (ctest sets it to build/mimic-system-x86_64) on the
machine pc, with the tiny firmware of tiny_bios.py or with SeaBIOS.
"""

import os
import re
import shutil
import stat
import struct
import subprocess
import tempfile
import time
import unittest
import zlib

import tiny_bios
from qmp_client import QmpClient, QmpError

SYSTEM = os.environ.get("MIMIC_SYSTEM")


class VmCase(unittest.TestCase):
    """Starts the emulator with a QMP socket; `hmp()` runs HMP lines through it."""

    def start(self, *args):
        self.dir = tempfile.mkdtemp(prefix="mimic-vm-monitor-")
        self.qmp_path = os.path.join(self.dir, "qmp.sock")
        self.bios = os.path.join(self.dir, "tiny.bin")
        tiny_bios.write(self.bios)
        argv = [SYSTEM, "-display", "none", "-qmp", f"unix:{self.qmp_path},server,nowait"]
        argv += [a.replace("@TINY@", self.bios).replace("@DIR@", self.dir) for a in args]
        self.process = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        self.qmp = QmpClient(self.qmp_path)
        self.qmp.negotiate()

    def tearDown(self):
        if hasattr(self, "qmp"):
            self.qmp.close()
        if hasattr(self, "process"):
            if self.process.poll() is None:
                self.process.kill()
            self.process.wait()
            self.process.stderr.close()
        if hasattr(self, "dir"):
            shutil.rmtree(self.dir)

    def hmp(self, line):
        return self.qmp.command("human-monitor-command", **{"command-line": line})

    def wait_for(self, predicate, what, timeout=10.0):
        deadline = time.monotonic() + timeout
        while not predicate():
            if time.monotonic() > deadline:
                self.fail(f"timed out waiting for {what}")
            time.sleep(0.02)


@unittest.skipUnless(SYSTEM and os.path.exists(SYSTEM), "MIMIC_SYSTEM not set")
class CpuAndMemoryTest(VmCase):
    def setUp(self):
        self.start("-S", "-bios", "@TINY@")

    def run_until_program_done(self):
        """Lets the tiny firmware run until it has set up its registers."""
        self.qmp.command("cont")
        self.qmp.wait_event("RESUME")
        self.wait_for(lambda: self.hmp("xp /1xh 0x500") == "0000000000000500: 0xdead\r\n", "the store to 0x500")
        self.qmp.command("stop")
        self.qmp.wait_event("STOP")

    def test_info_registers_at_reset(self):
        text = self.hmp("info registers").replace("\r\n", "\n")
        self.assertTrue(text.startswith("\nCPU#0\nEAX=00000000 EBX=00000000 ECX=00000000 EDX=00060fb1\n"), text)
        self.assertIn("EIP=0000fff0 EFL=00000002 [-------] CPL=0 II=0 A20=1 SMM=0 HLT=0\n", text)
        self.assertIn("CS =f000 ffff0000 0000ffff 00009b00\n", text)
        self.assertIn("GDT=     00000000 0000ffff\n", text)
        self.assertIn("CR0=60000010 CR2=00000000 CR3=00000000 CR4=00000000\n", text)
        self.assertIn("DR6=00000000ffff0ff0 DR7=0000000000000400\n", text)
        self.assertIn("EFER=0000000000000000\nFCW=037f FSW=0000 [ST=0] FTW=00 MXCSR=00001f80\n", text)
        self.assertIn("FPR6=0000000000000000 0000 FPR7=0000000000000000 0000\n", text)
        self.assertTrue(text.endswith("XMM06=0000000000000000 0000000000000000 "
                                      "XMM07=0000000000000000 0000000000000000\n"), text)
        self.assertEqual(self.hmp("info registers -a"), self.hmp("info registers"))

    def test_registers_memory_and_disassembly_after_running(self):
        self.run_until_program_done()
        text = self.hmp("info registers")
        self.assertIn("EBX=11223344", text)
        self.assertIn("ESI=12345678", text)
        self.assertIn("CS =f000 000f0000 0000ffff 00009b00", text)
        self.assertEqual(self.hmp("print $esi"), "0x12345678\r\n")
        self.assertEqual(self.hmp("p/d $ebx + 1"), "287454021\r\n")
        self.assertEqual(self.hmp("p/x $cs"), "0xf000\r\n")
        self.assertEqual(self.hmp("print $nosuch"), 'unknown register\r\nTry "help print" for more information\r\n')
        self.assertEqual(self.hmp("x/3i 0xf0000"), tiny_bios.DISASSEMBLY)
        # x with paging off reads through the A20 mask and no page tables.
        self.assertEqual(self.hmp("x /4xw 0x500"), "0000000000000500: 0x0000dead 0x00000000 0x00000000 0x00000000\r\n")
        self.assertEqual(self.hmp("xp /2xb 0x500"), "0000000000000500: 0xad 0xde\r\n")
        # What QEMU 7.2 prints: count times the (default word) unit, byte by byte.
        self.assertEqual(self.hmp("xp /3c 0xf0000"),
                         "00000000000f0000: 'f' '\\xbe' 'x' 'V' '4' '\\x12' 'f' '\\xbb' 'D' '3' '\"' '\\x11'\r\n")
        self.assertEqual(self.hmp("info tlb"), "PG disabled\r\n")
        self.assertEqual(self.hmp("info mem"), "PG disabled\r\n")

    def test_memsave_and_pmemsave(self):
        self.run_until_program_done()
        virt = os.path.join(self.dir, "virt.bin")
        phys = os.path.join(self.dir, "phys.bin")
        self.qmp.command("memsave", val=0xF0000, size=len(tiny_bios.CODE), filename=virt)
        self.qmp.command("pmemsave", val=0x500, size=2, filename=phys)
        with open(virt, "rb") as f:
            self.assertEqual(f.read(), tiny_bios.CODE)
        with open(phys, "rb") as f:
            self.assertEqual(f.read(), b"\xad\xde")
        self.assertEqual(self.hmp(f"pmemsave 0x500 2 {phys}2"), "")
        with open(phys + "2", "rb") as f:
            self.assertEqual(f.read(), b"\xad\xde")
        with self.assertRaises(QmpError) as raised:
            self.qmp.command("pmemsave", val=0, size=1, filename="/nonexistent/dir/x")
        self.assertTrue(raised.exception.desc.startswith("Could not open '/nonexistent/dir/x'"))

    def full_device(self):
        """A device like /dev/full (every write fails with ENOSPC), made in
        the test's directory: containers often lack /dev/full."""
        path = os.path.join(self.dir, "full")
        try:
            os.mknod(path, stat.S_IFCHR | 0o666, os.makedev(1, 7))
            return path
        except OSError:
            if os.path.exists("/dev/full") and stat.S_ISCHR(os.stat("/dev/full").st_mode):
                return "/dev/full"
        self.skipTest("no way to make a /dev/full")

    def test_write_errors_are_reported_and_leave_no_file(self):
        # Every write and the close are checked (a short file is still in a
        # buffer at the close), with QEMU's texts.
        full = self.full_device()
        for command, size in (("memsave", 16), ("pmemsave", 16), ("pmemsave", 1 << 20)):
            with self.subTest(command=command, size=size):
                with self.assertRaises(QmpError) as raised:
                    self.qmp.command(command, val=0xF0000, size=size, filename=full)
                self.assertEqual(raised.exception.desc, "An IO error has occurred")
        self.assertEqual(self.hmp(f"pmemsave 0xf0000 16 {full}"), "Error: An IO error has occurred\r\n")
        for fmt in ("ppm", "png"):
            with self.subTest(format=fmt):
                with self.assertRaises(QmpError) as raised:
                    self.qmp.command("screendump", filename=full, format=fmt)
                self.assertEqual(raised.exception.desc, "Unable to write to file: No space left on device")
        self.assertTrue(stat.S_ISCHR(os.stat(full).st_mode))
        # A file the command created is gone after a failure.
        partial = os.path.join(self.dir, "partial.bin")
        # RAM ends at 128 MiB, after the first 4 KiB; nothing is at 3.75 GiB.
        with self.assertRaises(QmpError) as raised:
            self.qmp.command("pmemsave", val=0x7FFF000, size=0x2000, filename=partial)
        self.assertEqual(raised.exception.desc, "Invalid addr 0x0000000007fff000/size 8192 specified")
        self.assertFalse(os.path.exists(partial))
        with self.assertRaises(QmpError):
            self.qmp.command("memsave", val=0xF0000000, size=0x2000, filename=partial)
        self.assertFalse(os.path.exists(partial))

    def test_cpus(self):
        cpus = self.qmp.command("query-cpus-fast")
        self.assertEqual(len(cpus), 1)
        self.assertEqual(cpus[0]["cpu-index"], 0)
        self.assertEqual(cpus[0]["target"], "x86_64")
        self.assertGreater(cpus[0]["thread-id"], 0)
        self.assertEqual(self.hmp("info cpus"), f"* CPU #0: thread_id={cpus[0]['thread-id']}\r\n")
        models = {m["name"]: m for m in self.qmp.command("query-cpu-definitions")}
        self.assertTrue({"qemu64", "qemu32", "max"} <= set(models), models)
        self.assertEqual(models["qemu64"]["typename"], "qemu64-x86_64-cpu")
        # QEMU 7.2's models: aliases name their version; what Mimic lacks is unavailable.
        self.assertEqual(models["qemu64"]["alias-of"], "qemu64-v1")
        self.assertEqual(models["qemu64"]["unavailable-features"], [])
        self.assertEqual(models["Haswell-noTSX"]["alias-of"], "Haswell-v2")
        self.assertNotIn("alias-of", models["Haswell-v2"])
        self.assertIn("invpcid", models["Haswell-noTSX"]["unavailable-features"])
        self.assertNotIn("rtm", models["Haswell-noTSX"]["unavailable-features"])
        # `host` is listed as QEMU 7.2 lists it without KVM.
        self.assertEqual(models["host"], {"name": "host", "typename": "host-x86_64-cpu",
                                          "unavailable-features": ["kvm"], "static": False,
                                          "migration-safe": False, "deprecated": False})
        self.assertEqual(len(models), 132)
        self.assertEqual(self.qmp.command("query-kvm"), {"enabled": False, "present": True})

    def test_machine_information(self):
        mtree = self.hmp("info mtree")
        self.assertIn("address-space: memory", mtree)
        self.assertIn("pc.ram", mtree)
        self.assertIn("FlatView", self.hmp("info mtree -f"))
        pci = self.hmp("info pci")
        self.assertIn("  Bus  0, device   1, function 1:\r\n    IDE controller: PCI device 8086:7010\r\n", pci)
        devices = self.qmp.command("query-pci")[0]["devices"]
        ide = [d for d in devices if d["slot"] == 1 and d["function"] == 1][0]
        self.assertEqual(ide["class_info"], {"desc": "IDE controller", "class": 0x0101})
        # info qtree's PCI lines, QEMU's layout (an unmapped BAR at -1).
        qtree = self.hmp("info qtree")
        self.assertIn("        class IDE controller, addr 00:01.1, pci id 8086:7010 (sub 1af4:1100)\r\n"
                      "        bar 4: i/o at 0x", qtree)
        self.assertIn("class Host bridge, addr 00:00.0, pci id 8086:1237 (sub 1af4:1100)\r\n", qtree)
        self.assertEqual(ide["id"]["vendor"], 0x8086)
        self.assertEqual(ide["id"]["device"], 0x7010)
        self.assertEqual([r["bar"] for r in ide["regions"]], [4])
        self.assertEqual(ide["regions"][0]["type"], "io")
        self.assertEqual(self.hmp("info roms"), 'addr=00000000ffff0000 size=0x010000 mem=rom name="tiny.bin"\r\n')
        pic = self.hmp("info pic")
        self.assertRegex(pic, r"pic0: irr=[0-9a-f]{2} imr=[0-9a-f]{2} isr=00 hprio=0 irq_base=00 rr_sel=0 elcr=00 fnm=0\r\n")
        self.assertIn("pic1: ", pic)

    def test_sendkey_reaches_the_guest(self):
        self.qmp.command("cont")
        self.wait_for(lambda: self.hmp("xp /1xh 0x500") == "0000000000000500: 0xdead\r\n", "the firmware")
        self.assertEqual(self.hmp("sendkey a"), "")
        # Make code now, break code after the hold time (set 2: 1c, f0 1c).
        self.wait_for(lambda: self.hmp("xp /3xb 0x600") == "0000000000000600: 0x1c 0xf0 0x1c\r\n", "scancodes")
        self.assertEqual(self.hmp("sendkey ctrl-alt-nosuch"), "invalid parameter: nosuch\r\n")
        # Key numbers as QEMU takes them: 0x30 is 'b' (set 2: 32, f0 32).
        self.assertEqual(self.hmp("sendkey 0x30 1"), "")
        self.wait_for(lambda: self.hmp("xp /3xb 0x603") == "0000000000000603: 0x32 0xf0 0x32\r\n", "scancodes of 0x30")
        self.qmp.command("send-key", keys=[{"type": "qcode", "data": "c"}], **{"hold-time": 1})
        self.wait_for(lambda: self.hmp("xp /3xb 0x606") == "0000000000000606: 0x21 0xf0 0x21\r\n", "scancodes of c")
        with self.assertRaises(QmpError):
            self.qmp.command("send-key", keys=[{"type": "qcode", "data": "nosuch"}])

    def test_input_send_event_and_mice(self):
        # The PS/2 mouse, numbered as QEMU 7.2's pc numbers it.
        self.assertEqual(self.hmp("info mice"), "* Mouse #2: QEMU PS/2 Mouse\r\n")
        self.assertEqual(self.qmp.command("query-mice"),
                         [{"index": 2, "name": "QEMU PS/2 Mouse", "current": True, "absolute": False}])
        key = {"type": "key", "data": {"down": True, "key": {"type": "qcode", "data": "a"}}}
        with self.assertRaises(QmpError) as raised:
            self.qmp.command("input-send-event", events=[key])
        self.assertEqual(raised.exception.desc, "VM not running")
        self.qmp.command("cont")
        self.wait_for(lambda: self.hmp("xp /1xh 0x500") == "0000000000000500: 0xdead\r\n", "the firmware")
        # No absolute pointer on a plain pc: refused before anything is sent.
        with self.assertRaises(QmpError) as raised:
            self.qmp.command("input-send-event", events=[key, {"type": "abs", "data": {"axis": "x", "value": 1}}])
        self.assertEqual(raised.exception.desc, "Input handler not found for event type abs")
        self.assertEqual(self.hmp("xp /1xb 0x600"), "0000000000000600: 0x00\r\n")
        release = {"type": "key", "data": {"down": False, "key": {"type": "number", "data": 0x1e}}}
        self.qmp.command("input-send-event", events=[key, release])
        self.wait_for(lambda: self.hmp("xp /3xb 0x600") == "0000000000000600: 0x1c 0xf0 0x1c\r\n", "scancodes")
        with self.assertRaises(QmpError) as raised:
            self.qmp.command("input-send-event", events=[{"type": "key", "data": {"down": True, "key": {"type": "qcode", "data": "nosuch"}}}])
        self.assertEqual(raised.exception.desc, "Parameter 'data' does not accept value 'nosuch'")


GUEST_DIR = os.environ.get("MIMIC_GUEST_DIR", "")
LONG_PAGING = os.path.join(GUEST_DIR, "long_paging.bin")


@unittest.skipUnless(SYSTEM and os.path.exists(SYSTEM), "MIMIC_SYSTEM not set")
class SmpCpusTest(VmCase):
    """Every vCPU of -smp is listed; they share the one round-robin vCPU thread."""

    def test_two_cpus(self):
        self.start("-S", "-bios", "@TINY@", "-smp", "2")
        cpus = self.qmp.command("query-cpus-fast")
        self.assertEqual([c["cpu-index"] for c in cpus], [0, 1])
        thread = cpus[0]["thread-id"]
        self.assertGreater(thread, 0)
        self.assertEqual({c["thread-id"] for c in cpus}, {thread})
        # QEMU 7.2 prefers cores: -smp 2 is one socket with two cores.
        self.assertEqual([c["props"] for c in cpus], [{"socket-id": 0, "core-id": 0, "thread-id": 0},
                                                      {"socket-id": 0, "core-id": 1, "thread-id": 0}])
        self.assertEqual(self.hmp("info cpus"),
                         f"* CPU #0: thread_id={thread}\r\n  CPU #1: thread_id={thread}\r\n")
        # An application processor waits for SIPI: it is halted, the BSP is not.
        cpu0, cpu1 = self.hmp("info registers -a").split("CPU#1")
        self.assertIn("HLT=0", cpu0)
        self.assertIn("HLT=1", cpu1)
        self.assertEqual(self.hmp("cpu 2"), "invalid CPU index\r\n")

    def test_selected_cpu_is_marked(self):
        # human-monitor-command starts a fresh HMP session each time (as in
        # QEMU), so `cpu 1` is checked on a lasting stdio monitor.
        result = subprocess.run([SYSTEM, "-display", "none", "-S", "-smp", "2", "-monitor", "stdio"],
                                input=b"cpu 1\ninfo cpus\ninfo registers\nquit\n", capture_output=True,
                                timeout=60)
        out = result.stdout.decode()
        self.assertRegex(out, r"  CPU #0: thread_id=(\d+)\r?\n\* CPU #1: thread_id=\d+")
        self.assertRegex(out, r"CPU#1\r?\n(.*\n){2}EIP=0000fff0 .* HLT=1")
        # `quit` suspends the monitor, as QEMU's: no prompt after it.
        self.assertTrue(out.endswith("(qemu) quit\r\n"), repr(out[-40:]))

    def test_default_vga_as_qemu(self):
        # No default display card with -nodefaults or when -device adds one.
        for args, cards in (([], 1), (["-nodefaults"], 0), (["-device", "VGA"], 1),
                            (["-nodefaults", "-vga", "std"], 1), (["-vga", "none"], 0)):
            result = subprocess.run([SYSTEM, "-display", "none", "-S", *args, "-monitor", "stdio"],
                                    input=b"info pci\nquit\n", capture_output=True, timeout=60)
            self.assertEqual(result.stdout.decode().count("VGA controller"), cards, args)

    def test_vga_edid_properties_in_qtree(self):
        # As QEMU 7.2 shows them: with the EDID on, the preferred mode the
        # generator defaulted to; with it off, the values as given.
        for device, expected in (
                ("VGA", "        edid = true\r\n        xres = 1280 (0x500)\r\n        yres = 800 (0x320)\r\n"),
                ("VGA,edid=off,xres=1024", "        edid = false\r\n        xres = 1024 (0x400)\r\n"
                                           "        yres = 0 (0x0)\r\n")):
            result = subprocess.run([SYSTEM, "-display", "none", "-S", "-nodefaults", "-device", device,
                                     "-monitor", "stdio"],
                                    input=b"info qtree\nquit\n", capture_output=True, timeout=60)
            out = result.stdout.decode()
            self.assertIn("        vgamem_mb = 16 (0x10)\r\n", out)
            self.assertIn(expected + "        xmax = 0 (0x0)\r\n        ymax = 0 (0x0)\r\n"
                          "        refresh_rate = 0 (0x0)\r\n", out)

    def test_topology_ids(self):
        self.start("-S", "-bios", "@TINY@", "-smp", "8,sockets=2,cores=2,threads=2")
        props = [(c["props"]["socket-id"], c["props"]["core-id"], c["props"]["thread-id"])
                 for c in self.qmp.command("query-cpus-fast")]
        self.assertEqual(props, [(s, c, t) for s in range(2) for c in range(2) for t in range(2)])


@unittest.skipUnless(SYSTEM and os.path.exists(SYSTEM), "MIMIC_SYSTEM not set")
class CpuObjectsTest(VmCase):
    """The vCPUs as QOM objects, as QEMU 7.2 has them (qemu-system-x86_64 -M pc
    -accel tcg -smp 2): /machine/unattached/device[N] of type qemu64-x86_64-cpu,
    with the local APIC as the child "lapic"."""

    def get(self, path, name):
        return self.qmp.command("qom-get", path=path, property=name)

    def test_query_cpus_fast_names_the_cpu_objects(self):
        self.start("-S", "-bios", "@TINY@", "-smp", "2")
        paths = [c["qom-path"] for c in self.qmp.command("query-cpus-fast")]
        # QEMU puts its kvmvapic between the two (device[1]); Mimic has none.
        self.assertEqual(paths, ["/machine/unattached/device[0]", "/machine/unattached/device[1]"])
        for index, path in enumerate(paths):
            self.assertEqual(self.get(path, "type"), "qemu64-x86_64-cpu")
            self.assertEqual(self.get(path, "apic-id"), index)
            self.assertEqual((self.get(path, "socket-id"), self.get(path, "core-id"), self.get(path, "thread-id")),
                             (0, index, 0))
            self.assertEqual(self.get(path, "lapic"), path + "/lapic")
            self.assertEqual(self.get(path + "/lapic", "type"), "apic")
        unattached = {p["name"]: p["type"] for p in self.qmp.command("qom-list", path="/machine/unattached")}
        self.assertEqual(unattached["device[0]"], "child<qemu64-x86_64-cpu>")
        machine = {p["name"]: p["type"] for p in self.qmp.command("qom-list", path="/machine")}
        self.assertEqual((machine["i440fx"], machine["fw_cfg"], machine["hpet"]),
                         ("child<i440FX-pcihost>", "child<fw_cfg_io>", "bool"))
        self.assertNotIn("ioapic", machine)
        host = {p["name"]: p["type"] for p in self.qmp.command("qom-list", path="/machine/i440fx")}
        self.assertEqual(host["ioapic"], "child<ioapic>")

    def test_properties_are_qemus(self):
        self.start("-S", "-bios", "@TINY@")
        cpu = "/machine/unattached/device[0]"
        expected = {"family": 15, "model": 107, "stepping": 1, "vendor": "AuthenticAMD",
                    "model-id": "QEMU Virtual CPU version 2.5+", "level": 13, "xlevel": 0x8000000a,
                    "phys-bits": 40, "node-id": -1, "die-id": 0, "start-powered-off": False,
                    "realized": True, "hotplugged": False, "hotpluggable": True, "parent_bus": "",
                    "fpu": True, "sse2": True, "lm": True, "avx": False, "sse4.2": False, "sse4_2": False}
        self.assertEqual({name: self.get(cpu, name) for name in expected}, expected)
        types = {p["name"]: p["type"] for p in self.qmp.command("qom-list", path=cpu)}
        self.assertEqual({name: types[name] for name in ("family", "model-id", "vendor", "level", "apic-id",
                                                         "socket-id", "start-powered-off", "lm", "lapic",
                                                         "parent_bus")},
                         {"family": "int", "model-id": "string", "vendor": "string", "level": "uint32",
                          "apic-id": "uint32", "socket-id": "int32", "start-powered-off": "bool", "lm": "bool",
                          "lapic": "child<apic>", "parent_bus": "link<bus>"})
        with self.assertRaises(QmpError) as raised:
            self.qmp.command("qom-set", path=cpu, property="sse2", value=False)
        self.assertEqual(raised.exception.desc,
                         "Attempt to set property 'sse2' on anonymous device (type 'qemu64-x86_64-cpu') "
                         "after it was realized")

    def test_cpu_option_shows(self):
        self.start("-S", "-bios", "@TINY@", "-cpu", "qemu32,-sse2")
        cpu = "/machine/unattached/device[0]"
        self.assertEqual([self.get(cpu, n) for n in ("type", "family", "model", "vendor", "phys-bits", "sse2", "lm")],
                         ["qemu32-x86_64-cpu", 6, 6, "GenuineIntel", 32, False, False])

    def check_opteron_g1(self, model):
        self.start("-S", "-bios", "@TINY@", "-cpu", model)
        cpu = "/machine/unattached/device[0]"
        expected = {"family": 15, "model": 6, "stepping": 1, "vendor": "AuthenticAMD",
                    "model-id": "AMD Opteron 240 (Gen 1 Class Opteron)", "level": 5,
                    "xlevel": 0x80000008, "lm": True, "sse2": True, "ssse3": False}
        self.assertEqual({name: self.get(cpu, name) for name in expected}, expected)

    def test_opteron_g1_as_qemu_defines_it(self):
        self.check_opteron_g1("Opteron_G1")

    def test_opteron_g1_v1(self):
        self.check_opteron_g1("Opteron_G1-v1")

    def test_phys_bits_options(self):
        self.start("-S", "-bios", "@TINY@", "-cpu", "qemu64,phys-bits=36")
        self.assertEqual(self.get("/machine/unattached/device[0]", "phys-bits"), 36)

    def test_host_phys_bits_takes_the_hosts_width(self):
        with open("/proc/cpuinfo") as f:
            host = int(re.search(r"address sizes\s*: (\d+) bits physical", f.read()).group(1))
        self.start("-S", "-bios", "@TINY@", "-cpu", "max,host-phys-bits=on")
        self.assertEqual(self.get("/machine/unattached/device[0]", "phys-bits"), host)

    def test_vendor_option(self):
        self.start("-S", "-bios", "@TINY@", "-cpu", "qemu64,vendor=GenuineIntel")
        self.assertEqual(self.get("/machine/unattached/device[0]", "vendor"), "GenuineIntel")


@unittest.skipUnless(SYSTEM and os.path.exists(SYSTEM), "MIMIC_SYSTEM not set")
@unittest.skipUnless(os.path.exists(LONG_PAGING), "the tests/guest images are not built")
class LongModeTest(VmCase):
    """tests/guest/long_paging.bin: without isa-debug-exit it halts in
    64-bit code after PASS, with its 4-level page tables in place."""

    def test_registers_and_page_tables_in_long_mode(self):
        self.start("-bios", LONG_PAGING, "-debugcon", "file:@DIR@/debugcon.out")
        out = os.path.join(self.dir, "debugcon.out")
        def passed():
            if not os.path.exists(out):
                return False
            with open(out, "rb") as f:
                return b"PASS" in f.read()
        self.wait_for(passed, "PASS")
        self.wait_for(lambda: "HLT=1" in self.hmp("info registers"), "the final HLT")
        text = self.hmp("info registers").replace("\r\n", "\n")
        self.assertTrue(text.startswith("\nCPU#0\nRAX="), text)
        self.assertRegex(text, r"\nR8 =[0-9a-f]{16} R9 =[0-9a-f]{16} R10=[0-9a-f]{16} R11=[0-9a-f]{16}\n")
        self.assertRegex(text, r"\nRIP=00000000000f[0-9a-f]{4} RFL=[0-9a-f]{8} \[[-DOSZAPC]{7}\] CPL=0 II=0 A20=1 SMM=0 HLT=1\n")
        self.assertRegex(text, r"\nCS =[0-9a-f]{4} 0000000000000000 ffffffff 00af9b00 DPL=0 CS64 \[-R[A-]\]\n")
        self.assertRegex(text, r"\nTR =[0-9a-f]{4} [0-9a-f]{16} [0-9a-f]{8} 00008b00 DPL=0 TSS64-busy\n")
        self.assertRegex(text, r"\nGDT=     [0-9a-f]{16} [0-9a-f]{8}\n")
        self.assertRegex(text, r"\nEFER=0000000000000[5-9a-f]0[0-9a-f]\n")  # LME and LMA
        self.assertIn("XMM14=0000000000000000 0000000000000000 XMM15=", text)
        tlb = self.hmp("info tlb")
        self.assertRegex(tlb, r"^(?:[0-9a-f]{16}: [0-9a-f]{16} [-X][-G][-P][-D][-A][-C][-T][-U][-W]\r\n)+$")
        self.assertRegex(self.hmp("info mem"), r"^(?:[0-9a-f]{16}-[0-9a-f]{16} [0-9a-f]{16} [-u]r[-w]\r\n)+$")
        # x/i decodes 64-bit code where the CPU stopped: the HLT just executed.
        rip = int(re.search(r"RIP=([0-9a-f]{16})", text).group(1), 16)
        self.assertEqual(self.hmp(f"x/1i {rip - 1:#x}"), f"0x{rip - 1:08x}:  f4                       hlt      \r\n")


MCE_INJECT = os.path.join(GUEST_DIR, "mce_inject.bin")


@unittest.skipUnless(SYSTEM and os.path.exists(MCE_INJECT), "MIMIC_SYSTEM or the guest programs missing")
class MachineCheckTest(VmCase):
    """`mce` as QEMU 7.2's: tests/guest/mce_inject.bin waits with CR4.MCE set
    and interrupts off; its #MC handler checks the bank and reports."""

    def start_guest(self, *args):
        self.start("-bios", MCE_INJECT, "-debugcon", "file:@DIR@/debugcon.out",
                   "-device", "isa-debug-exit,iobase=0xf4,iosize=0x04", *args)

    def test_injection_reaches_the_guest_handler(self):
        self.start_guest()
        self.wait_for(lambda: self.hmp("xp /1xh 0x500") == "0000000000000500: 0x4d43\r\n", "the guest to wait")
        self.assertEqual(self.hmp("mce 0 1 0xb000000000000000 5 0x1234 0x77"), "")
        self.assertEqual(self.process.wait(timeout=30), 1)
        with open(os.path.join(self.dir, "debugcon.out"), "rb") as f:
            self.assertIn(b"PASS", f.read())

    def test_refusals_and_the_triple_fault(self):
        self.start_guest("-S")
        self.assertEqual(self.hmp("mce 0 10 0xb000000000000000 5 0 0"), "Invalid MCE bank number\r\n")
        self.assertEqual(self.hmp("mce 0 1 0x3000000000000000 5 0 0"), "Invalid MCE status code\r\n")
        self.assertEqual(self.hmp("mce 7 1 0xb000000000000000 5 0 0"), "")   # no such CPU: nothing
        # A corrected error is only logged in the bank.
        self.assertEqual(self.hmp("mce 0 2 0x9000000000000000 0 0x42 0"), "")
        # At reset CR4.MCE is clear: an uncorrected error resets the machine.
        self.assertEqual(self.hmp("mce 0 1 0xb000000000000000 5 0 0"),
                         "CPU 0: MCE capability is not enabled, raising triple fault")
        self.assertEqual(self.qmp.wait_event("RESET")["data"], {"guest": True, "reason": "guest-reset"})

    def test_a_model_without_banks(self):
        self.start_guest("-S", "-cpu", "qemu32")
        self.assertEqual(self.hmp("mce 0 1 0xb000000000000000 5 0 0"), "MCE injection not supported\r\n")


@unittest.skipUnless(SYSTEM and os.path.exists(SYSTEM), "MIMIC_SYSTEM not set")
class BlockTest(VmCase):
    def setUp(self):
        self.dir_images = tempfile.mkdtemp(prefix="mimic-vm-images-")
        for name, size in (("disk.img", 1 << 20), ("cd1.iso", 2 << 20), ("cd2.iso", 4 << 20)):
            with open(os.path.join(self.dir_images, name), "wb") as f:
                f.truncate(size)
        self.start("-S", "-bios", "@TINY@",
                   "-drive", f"file={self.dir_images}/disk.img,format=raw,if=ide,index=0",
                   "-drive", f"file={self.dir_images}/cd1.iso,format=raw,media=cdrom,index=2")

    def tearDown(self):
        super().tearDown()
        shutil.rmtree(self.dir_images)

    def test_query_block_and_info_block(self):
        drives = {d["device"]: d for d in self.qmp.command("query-block")}
        self.assertEqual(set(drives), {"ide0-hd0", "ide1-cd0"})
        hd, cd = drives["ide0-hd0"], drives["ide1-cd0"]
        self.assertFalse(hd["removable"])
        self.assertTrue(cd["removable"])
        self.assertFalse(cd["tray_open"])
        self.assertEqual(hd["inserted"]["drv"], "raw")
        self.assertFalse(hd["inserted"]["ro"])
        self.assertTrue(cd["inserted"]["ro"])
        self.assertEqual(cd["inserted"]["image"]["virtual-size"], 2 << 20)
        self.assertEqual(hd["inserted"]["cache"], {"writeback": True, "direct": False, "no-flush": False})
        qdev = hd["qdev"]
        self.assertEqual(self.hmp("info block"),
                         f"ide0-hd0: {self.dir_images}/disk.img (raw)\r\n"
                         f"    Attached to:      {qdev}\r\n"
                         "    Cache mode:       writeback\r\n"
                         "\r\n"
                         f"ide1-cd0: {self.dir_images}/cd1.iso (raw, read-only)\r\n"
                         f"    Attached to:      {qdev}\r\n"
                         "    Removable device: not locked, tray closed\r\n"
                         "    Cache mode:       writeback\r\n")
        stats = {s["device"]: s["stats"] for s in self.qmp.command("query-blockstats")}
        self.assertEqual(stats["ide0-hd0"]["rd_bytes"], 0)
        self.assertIn("failed_rd_operations", stats["ide0-hd0"])
        self.assertIn("ide1-cd0: rd_bytes=0 wr_bytes=0 rd_operations=0 wr_operations=0 flush_operations=0 ",
                      self.hmp("info blockstats"))

    def test_eject_and_change_medium(self):
        with self.assertRaises(QmpError) as raised:
            self.qmp.command("eject", device="ide0-hd0")
        self.assertEqual(raised.exception.desc, "Device 'ide0-hd0' is not removable")
        with self.assertRaises(QmpError) as raised:
            self.qmp.command("eject", device="nope")
        self.assertEqual((raised.exception.error_class, raised.exception.desc),
                         ("DeviceNotFound", "Device 'nope' not found"))
        with self.assertRaises(QmpError) as raised:
            self.qmp.command("eject")
        self.assertEqual(raised.exception.desc, "Need exactly one of 'device' and 'id'")

        self.qmp.command("eject", device="ide1-cd0")
        moved = self.qmp.wait_event("DEVICE_TRAY_MOVED")
        self.assertEqual(moved["data"]["device"], "ide1-cd0")
        self.assertTrue(moved["data"]["tray-open"])
        cd = [d for d in self.qmp.command("query-block") if d["device"] == "ide1-cd0"][0]
        self.assertTrue(cd["tray_open"])
        self.assertNotIn("inserted", cd)
        self.assertIn("ide1-cd0: [not inserted]\r\n", self.hmp("info block"))

        with self.assertRaises(QmpError) as raised:
            self.qmp.command("blockdev-change-medium", device="ide1-cd0", filename=f"{self.dir}/nonexistent.iso")
        self.assertIn("nonexistent.iso", raised.exception.desc)
        self.qmp.command("blockdev-change-medium", device="ide1-cd0", filename=f"{self.dir_images}/cd2.iso",
                         format="raw")
        moved = self.qmp.wait_event("DEVICE_TRAY_MOVED")
        self.assertFalse(moved["data"]["tray-open"])
        cd = [d for d in self.qmp.command("query-block") if d["device"] == "ide1-cd0"][0]
        self.assertEqual(cd["inserted"]["file"], f"{self.dir_images}/cd2.iso")
        self.assertEqual(cd["inserted"]["image"]["virtual-size"], 4 << 20)

        # HMP change with the tray closed: it opens and closes again.
        self.assertEqual(self.hmp(f"change ide1-cd0 {self.dir_images}/cd1.iso raw"), "")
        self.assertTrue(self.qmp.wait_event("DEVICE_TRAY_MOVED")["data"]["tray-open"])
        self.assertFalse(self.qmp.wait_event("DEVICE_TRAY_MOVED")["data"]["tray-open"])
        self.assertEqual(self.hmp("eject ide0-hd0"), "Error: Device 'ide0-hd0' is not removable\r\n")
        self.assertEqual(self.hmp("commit ide0-hd0"), "'commit' error for 'ide0-hd0': Operation not supported\r\n")
        self.assertEqual(self.hmp("commit nope"), "Device 'nope' not found\r\n")
        self.assertEqual(self.hmp("commit all"), "")
        self.assertEqual(self.hmp("info block-jobs"), "No active jobs\r\n")
        self.assertEqual(self.hmp("info snapshots"), "no block device can store vmstate for snapshot\r\n")
        self.assertEqual(self.hmp("eject -f ide1-cd0"), "")
        self.assertTrue(self.qmp.wait_event("DEVICE_TRAY_MOVED")["data"]["tray-open"])


IMG = os.environ.get("MIMIC_IMG") or (SYSTEM and os.path.join(os.path.dirname(SYSTEM), "mimic-img"))


@unittest.skipUnless(SYSTEM and os.path.exists(SYSTEM), "MIMIC_SYSTEM not set")
class AhciBlockTest(VmCase):
    """An ide-cd on an ich9-ahci port: query-block, eject and change reach
    its tray, DEVICE_TRAY_MOVED names the device; ide-hd is not removable."""

    def setUp(self):
        self.dir_images = tempfile.mkdtemp(prefix="mimic-vm-images-")
        for name, size in (("disk.img", 1 << 20), ("cd1.iso", 2 << 20), ("cd2.iso", 4 << 20)):
            with open(os.path.join(self.dir_images, name), "wb") as f:
                f.truncate(size)
        self.start("-S", "-bios", "@TINY@", "-device", "ahci,id=sata",
                   "-drive", f"file={self.dir_images}/disk.img,format=raw,if=none,id=hd",
                   "-device", "ide-hd,drive=hd,bus=sata.0",
                   "-drive", f"file={self.dir_images}/cd1.iso,format=raw,if=none,id=cd,media=cdrom",
                   "-device", "ide-cd,drive=cd,bus=sata.2,id=cdrom0")

    def tearDown(self):
        super().tearDown()
        shutil.rmtree(self.dir_images)

    def test_eject_and_change_on_an_ahci_port(self):
        drives = {d["device"]: d for d in self.qmp.command("query-block")}
        self.assertFalse(drives["hd"]["removable"])
        self.assertTrue(drives["cd"]["removable"])
        self.assertFalse(drives["cd"]["tray_open"])
        self.assertEqual(drives["cd"]["qdev"], "/machine/peripheral/cdrom0")
        with self.assertRaises(QmpError) as raised:
            self.qmp.command("eject", device="hd")
        self.assertEqual(raised.exception.desc, "Device 'hd' is not removable")

        self.qmp.command("eject", device="cd")
        moved = self.qmp.wait_event("DEVICE_TRAY_MOVED")
        self.assertEqual(moved["data"], {"device": "cd", "id": "cdrom0", "tray-open": True})
        cd = [d for d in self.qmp.command("query-block") if d["device"] == "cd"][0]
        self.assertTrue(cd["tray_open"])
        self.assertNotIn("inserted", cd)

        self.qmp.command("blockdev-change-medium", device="cd", filename=f"{self.dir_images}/cd2.iso",
                         format="raw")
        self.assertFalse(self.qmp.wait_event("DEVICE_TRAY_MOVED")["data"]["tray-open"])
        cd = [d for d in self.qmp.command("query-block") if d["device"] == "cd"][0]
        self.assertFalse(cd["tray_open"])
        self.assertEqual(cd["inserted"]["image"]["virtual-size"], 4 << 20)


@unittest.skipUnless(SYSTEM and os.path.exists(SYSTEM), "MIMIC_SYSTEM not set")
@unittest.skipUnless(IMG and os.path.exists(IMG), "mimic-img not built")
class SnapshotsTest(VmCase):
    """`info snapshots` with writable qcow2 disks holding internal snapshots
    made by mimic-img; the layout is QEMU 7.2's on the same command lines."""

    def setUp(self):
        self.images = tempfile.mkdtemp(prefix="mimic-snapshots-")
        self.addCleanup(shutil.rmtree, self.images)
        for name, snapshots in (("none", []), ("d1", ["snapA", "snapB"]), ("d2", ["snapA", "snapC"])):
            subprocess.run([IMG, "create", "-q", "-f", "qcow2", self.image(name), "16M"], check=True)
            for tag in snapshots:
                subprocess.run([IMG, "snapshot", "-c", tag, self.image(name)], check=True)
        with open(self.image("raw"), "wb") as f:
            f.truncate(1 << 20)
        # Read now: the running VM locks the images.
        self.listings = {name: self.listing(name) for name in ("d1", "d2")}

    def image(self, name):
        return os.path.join(self.images, name + (".raw" if name == "raw" else ".qcow2"))

    def listing(self, name):
        return subprocess.run([IMG, "snapshot", "-l", self.image(name)], check=True, capture_output=True,
                              text=True).stdout.splitlines()

    def rows(self, name, id_as=None):
        """The rows `mimic-img snapshot -l` prints (qemu-img's table), by tag."""
        out = self.listings[name]
        self.header = out[1]
        rows = {line.split()[1]: line for line in out[2:]}
        if id_as:
            rows = {tag: id_as.ljust(9) + line[9:] for tag, line in rows.items()}
        return rows

    def info_snapshots(self, *drives):
        args = ["-S", "-bios", "@TINY@"]
        for drive in drives:
            args += ["-drive", drive]
        self.start(*args)
        return self.hmp("info snapshots").replace("\r\n", "\n")

    def test_no_snapshots(self):
        self.assertEqual(self.info_snapshots(f"file={self.image('none')},if=ide,format=qcow2"),
                         "There is no snapshot available.\n")

    def test_raw_disk_only(self):
        self.assertEqual(self.info_snapshots(f"file={self.image('raw')},if=ide,format=raw"),
                         "no block device can store vmstate for snapshot\n")

    def test_snapshots_on_all_disks_and_partial_ones(self):
        text = self.info_snapshots(f"file={self.image('d1')},if=ide,format=qcow2",
                                   f"file={self.image('d2')},if=ide,format=qcow2")
        d1, d2, shared = self.rows("d1"), self.rows("d2"), self.rows("d1", id_as="--")
        self.assertEqual(text, f"List of snapshots present on all disks:\n{self.header}\n{shared['snapA']}\n"
                               f"\nList of partial (non-loadable) snapshots on 'ide0-hd0':\n"
                               f"{self.header}\n{d1['snapB']}\n"
                               f"\nList of partial (non-loadable) snapshots on 'ide0-hd1':\n"
                               f"{self.header}\n{d2['snapC']}\n")

    def test_a_raw_disk_makes_every_snapshot_partial(self):
        text = self.info_snapshots(f"file={self.image('raw')},if=ide,format=raw",
                                   f"file={self.image('d1')},if=ide,format=qcow2")
        d1 = self.rows("d1")
        self.assertEqual(text, f"List of snapshots present on all disks:\nNone\n"
                               f"\nList of partial (non-loadable) snapshots on 'ide0-hd1':\n"
                               f"{self.header}\n{d1['snapA']}\n{d1['snapB']}\n")

    def test_read_only_disks_do_not_count(self):
        text = self.info_snapshots(f"file={self.image('d2')},if=ide,format=qcow2",
                                   f"file={self.image('d1')},if=none,format=qcow2,readonly=on,id=ro")
        shared = self.rows("d2", id_as="--")
        self.assertEqual(text, f"List of snapshots present on all disks:\n{self.header}\n"
                               f"{shared['snapA']}\n{shared['snapC']}\n")


@unittest.skipUnless(SYSTEM and os.path.exists(SYSTEM), "MIMIC_SYSTEM not set")
class DefaultCdromTest(VmCase):
    """Without -cdrom the pc machine has an empty CD-ROM drive, as in QEMU."""

    def devices(self):
        return [d["device"] for d in self.qmp.command("query-block")]

    def test_empty_drive_takes_a_medium(self):
        self.start("-S", "-bios", "@TINY@")
        cd = self.qmp.command("query-block")
        self.assertEqual([d["device"] for d in cd], ["ide1-cd0"])
        self.assertTrue(cd[0]["removable"])
        self.assertFalse(cd[0]["tray_open"])
        self.assertNotIn("inserted", cd[0])
        self.assertEqual(self.hmp("info block"),
                         "ide1-cd0: [not inserted]\r\n"
                         f"    Attached to:      {cd[0]['qdev']}\r\n"
                         "    Removable device: not locked, tray closed\r\n")
        iso = os.path.join(self.dir, "x.iso")
        with open(iso, "wb") as f:
            f.truncate(2 << 20)
        self.assertEqual(self.hmp(f"change ide1-cd0 {iso}"), "")
        self.assertTrue(self.qmp.wait_event("DEVICE_TRAY_MOVED")["data"]["tray-open"])
        moved = self.qmp.wait_event("DEVICE_TRAY_MOVED")
        self.assertEqual(moved["data"]["device"], "ide1-cd0")
        self.assertFalse(moved["data"]["tray-open"])
        cd = self.qmp.command("query-block")[0]
        self.assertEqual(cd["inserted"]["file"], iso)
        self.assertTrue(cd["inserted"]["ro"])
        self.assertEqual(cd["inserted"]["image"]["virtual-size"], 2 << 20)

    def test_nodefaults_leaves_it_out(self):
        self.start("-S", "-bios", "@TINY@", "-nodefaults")
        self.assertEqual(self.devices(), [])
        self.assertEqual(self.hmp("info block"), "")

    def test_a_drive_at_index_2_replaces_it(self):
        images = tempfile.mkdtemp(prefix="mimic-vm-images-")
        self.addCleanup(shutil.rmtree, images)
        disk = os.path.join(images, "disk.img")
        with open(disk, "wb") as f:
            f.truncate(1 << 20)
        self.start("-S", "-bios", "@TINY@", "-hdc", disk)
        self.assertEqual(self.devices(), ["ide1-hd0"])

    def test_other_drives_keep_it(self):
        self.start("-S", "-bios", "@TINY@", "-drive", "if=none,id=spare,index=2",
                   "-drive", "if=ide,index=0,media=cdrom")
        self.assertEqual(self.devices(), ["spare", "ide0-cd0", "ide1-cd0"])

    def test_an_ide_device_leaves_it_out(self):
        # As QEMU's default_list: -device ide-hd/ide-cd means no default CD.
        self.start("-S", "-bios", "@TINY@", "-device", "ahci,id=sata", "-device", "ide-cd,bus=sata.0")
        self.assertEqual(self.devices(), [])


@unittest.skipUnless(SYSTEM and os.path.exists(SYSTEM), "MIMIC_SYSTEM not set")
class DriveAddDelTest(VmCase):
    """drive_add makes if=none back ends at run time and drive_del removes
    them, with QEMU 7.2's answers (texts taken from qemu-system-x86_64)."""

    def devices(self):
        return [d["device"] for d in self.qmp.command("query-block")]

    def test_add_and_delete(self):
        self.start("-S", "-bios", "@TINY@", "-drive", "if=none,id=spare")
        image = os.path.join(self.dir, "t.img")
        with open(image, "wb") as f:
            f.truncate(1 << 20)
        self.assertEqual(self.hmp(f"drive_add 0 if=none,id=d1,file={image},format=raw"), "OK\r\n")
        self.assertIn("d1", self.devices())
        self.assertEqual(self.hmp("info block d1"),
                         f"d1: {image} (raw)\r\n"
                         "    Removable device: not locked, tray closed\r\n"
                         "    Cache mode:       writeback\r\n")
        self.assertEqual(self.hmp(f"drive_add 0 if=none,id=d1,file={image},format=raw"),
                         "Duplicate ID 'd1' for drive\r\n")
        self.assertEqual(self.hmp(f"drive_add 0 file={image},format=raw"), "Can't hot-add drive to type 1\r\n")
        self.assertEqual(self.hmp("drive_add 0 if=none,id=d2,file=/nonexistent"),
                         "Could not open '/nonexistent': No such file or directory\r\n")
        self.assertNotIn("d2", self.devices())
        self.assertEqual(self.hmp("drive_del d1"), "")
        self.assertNotIn("d1", self.devices())
        self.assertEqual(self.hmp("drive_del d1"), "Device 'd1' not found\r\n")
        # The name is free again, and an attached drive loses its medium.
        self.assertEqual(self.hmp(f"drive_add 0 if=none,id=d1,file={image},format=raw"), "OK\r\n")
        self.assertEqual(self.hmp("drive_del ide1-cd0"), "")
        self.assertNotIn("ide1-cd0", self.devices())
        self.assertEqual(self.qmp.command("query-status")["status"], "prelaunch")


@unittest.skipUnless(SYSTEM and os.path.exists(SYSTEM), "MIMIC_SYSTEM not set")
class BlockIoErrorTest(VmCase):
    def test_failed_read_reports_block_io_error(self):
        # SeaBIOS reads the boot sector of the disk; the image shrinks under
        # it after the drive was opened, so that read fails on the host.
        self.dir_images = tempfile.mkdtemp(prefix="mimic-vm-images-")
        disk = os.path.join(self.dir_images, "disk.img")
        with open(disk, "wb") as f:
            f.truncate(1 << 20)
        try:
            self.start("-S", "-drive", f"file={disk},format=raw,if=ide")
            os.truncate(disk, 0)
            self.qmp.command("cont")
            event = self.qmp.wait_event("BLOCK_IO_ERROR", timeout=30)
            self.assertEqual(event["data"], {"device": "ide0-hd0", "operation": "read", "action": "report",
                                             "nospace": False, "reason": "Input/output error"})
            stats = self.qmp.command("query-blockstats")[0]["stats"]
            self.assertGreater(stats["failed_rd_operations"], 0)
        finally:
            shutil.rmtree(self.dir_images)


@unittest.skipUnless(SYSTEM and os.path.exists(SYSTEM), "MIMIC_SYSTEM not set")
class ScreenTest(VmCase):
    def setUp(self):
        # SeaBIOS and its VGA BIOS draw the boot messages in text mode.
        self.start("-boot", "menu=off")

    def read_png(self, path):
        with open(path, "rb") as f:
            data = f.read()
        self.assertEqual(data[:8], b"\x89PNG\r\n\x1a\n")
        pos, chunks = 8, {}
        while pos < len(data):
            length, kind = struct.unpack(">I4s", data[pos:pos + 8])
            body = data[pos + 8:pos + 8 + length]
            crc, = struct.unpack(">I", data[pos + 8 + length:pos + 12 + length])
            self.assertEqual(zlib.crc32(kind + body), crc)
            chunks[kind] = chunks.get(kind, b"") + body
            pos += 12 + length
        width, height, depth, color = struct.unpack(">IIBB", chunks[b"IHDR"][:10])
        self.assertEqual((depth, color), (8, 2))
        raw = zlib.decompress(chunks[b"IDAT"])
        stride = width * 3
        rows = [raw[y * (stride + 1) + 1:(y + 1) * (stride + 1)] for y in range(height)]
        self.assertTrue(all(raw[y * (stride + 1)] == 0 for y in range(height)))
        return width, height, b"".join(rows)

    def test_screendump_ppm_and_png(self):
        ppm = os.path.join(self.dir, "screen.ppm")
        png = os.path.join(self.dir, "screen.png")

        def drawn():
            self.qmp.command("screendump", filename=ppm)
            with open(ppm, "rb") as f:
                return any(f.read()[15:])
        self.wait_for(drawn, "SeaBIOS to draw something", timeout=30)
        self.qmp.command("stop")
        # SeaBIOS has been taking timer interrupts (IRQ 0) through the PIC.
        self.assertRegex(self.hmp("info irq"), r"^IRQ statistics for isa-i8259:\r\n 0: [1-9][0-9]*\r\n")
        self.qmp.command("screendump", filename=ppm)
        self.assertEqual(self.hmp(f"screendump {png} -f png"), "")
        with open(ppm, "rb") as f:
            data = f.read()
        match = re.match(rb"P6\n(\d+) (\d+)\n255\n", data)
        self.assertIsNotNone(match)
        width, height = int(match.group(1)), int(match.group(2))
        self.assertEqual(len(data), match.end() + width * height * 3)
        self.assertEqual(self.read_png(png), (width, height, data[match.end():]))
        self.assertEqual(self.hmp(f"screendump {png} -f bmp"), "Error: invalid parameter value: bmp\r\n")
        with self.assertRaises(QmpError) as raised:
            self.qmp.command("screendump", filename="/nonexistent/dir/x.ppm")
        self.assertEqual(raised.exception.desc,
                         "failed to open file '/nonexistent/dir/x.ppm': No such file or directory")


@unittest.skipUnless(SYSTEM and os.path.exists(SYSTEM), "MIMIC_SYSTEM not set")
class NotYetTest(VmCase):
    def setUp(self):
        self.start("-S", "-bios", "@TINY@")

    def test_device_del_without_hotplug(self):
        with self.assertRaises(QmpError) as raised:
            self.qmp.command("device_del", id="nonexist")
        self.assertEqual((raised.exception.error_class, raised.exception.desc),
                         ("DeviceNotFound", "Device 'nonexist' not found"))


@unittest.skipUnless(SYSTEM and os.path.exists(SYSTEM), "MIMIC_SYSTEM not set")
class UserCreatableObjectsTest(VmCase):
    """-object, object-add/object-del and their HMP forms; the error texts
    are QEMU 7.2's (qemu-system-x86_64 -qmp stdio)."""

    def setUp(self):
        self.start("-S", "-bios", "@TINY@", "-object", "secret,id=cli0,data=YWJj,format=base64",
                   "-object", "iothread,id=io0,poll-max-ns=100")

    def error_of(self, command, **arguments):
        with self.assertRaises(QmpError) as raised:
            self.qmp.command(command, **arguments)
        self.assertEqual(raised.exception.error_class, "GenericError")
        return raised.exception.desc

    def names_under_objects(self):
        return sorted(p["name"] for p in self.qmp.command("qom-list", path="/objects") if p["name"] != "type")

    def test_command_line_objects_are_under_objects(self):
        self.assertEqual(self.names_under_objects(), ["cli0", "io0"])
        listing = {p["name"]: p["type"] for p in self.qmp.command("qom-list", path="/")}
        self.assertEqual(listing["objects"], "child<container>")
        self.assertEqual(self.qmp.command("qom-get", path="/objects/cli0", property="format"), "base64")
        self.assertEqual(self.qmp.command("qom-get", path="/objects/cli0", property="loaded"), True)
        self.assertEqual(self.qmp.command("qom-get", path="/objects/io0", property="poll-max-ns"), 100)

    def test_secret_over_qmp(self):
        self.assertEqual(self.qmp.command("object-add", **{"qom-type": "secret", "id": "s0", "data": "abc"}), {})
        listing = {p["name"]: p["type"] for p in self.qmp.command("qom-list", path="/objects/s0")}
        self.assertEqual(listing["format"], "QCryptoSecretFormat")
        self.assertEqual(listing["loaded"], "bool")
        self.assertEqual(self.qmp.command("qom-get", path="/objects/s0", property="format"), "raw")
        self.assertEqual(self.qmp.command("object-del", id="s0"), {})
        self.assertEqual(self.error_of("object-del", id="s0"), "object 's0' not found")
        self.assertEqual(self.names_under_objects(), ["cli0", "io0"])

    def test_iothread_properties(self):
        self.qmp.command("object-add", **{"qom-type": "iothread", "id": "io1"})
        for name, default in (("poll-max-ns", 32768), ("poll-grow", 0), ("poll-shrink", 0), ("aio-max-batch", 0)):
            self.assertEqual(self.qmp.command("qom-get", path="/objects/io1", property=name), default, name)
        self.qmp.command("qom-set", path="/objects/io1", property="poll-grow", value=3)
        self.assertEqual(self.qmp.command("qom-get", path="/objects/io1", property="poll-grow"), 3)
        # Every write is checked, as QEMU's setters check; a refused one changes nothing.
        with self.assertRaises(QmpError) as raised:
            self.qmp.command("qom-set", path="/objects/io1", property="poll-grow", value=-1)
        self.assertEqual(raised.exception.desc, "poll-grow value must be in range [0, 9223372036854775807]")
        self.assertEqual(self.qmp.command("qom-get", path="/objects/io1", property="poll-grow"), 3)

    def test_qom_list_types_are_qemus(self):
        # Plain QOM properties, as QEMU 7.2 declares them on these types.
        self.qmp.command("object-add", **{"qom-type": "secret", "id": "s0", "data": "abc"})
        listing = {p["name"]: p["type"] for p in self.qmp.command("qom-list", path="/objects/s0")}
        self.assertEqual(listing, {"type": "string", "loaded": "bool", "iv": "string", "keyid": "string",
                                   "format": "QCryptoSecretFormat", "file": "string", "data": "string"})
        listing = {p["name"]: p["type"] for p in self.qmp.command("qom-list", path="/objects/io0")}
        self.assertEqual(listing, {"type": "string", "poll-max-ns": "int", "poll-grow": "int", "poll-shrink": "int",
                                   "aio-max-batch": "int", "thread-pool-min": "int", "thread-pool-max": "int"})

    def test_iothread_thread_pool(self):
        self.qmp.command("object-add", **{"qom-type": "iothread", "id": "io1"})
        get = lambda name: self.qmp.command("qom-get", path="/objects/io1", property=name)
        self.assertEqual((get("thread-pool-min"), get("thread-pool-max")), (0, 64))
        for arguments in ({"thread-pool-min": 5, "thread-pool-max": 2}, {"thread-pool-max": 0},
                          {"thread-pool-max": 3000000000}):
            self.assertEqual(self.error_of("object-add", **{"qom-type": "iothread", "id": "io2", **arguments}),
                             "bad thread-pool-min/thread-pool-max values", arguments)
        self.assertEqual(self.error_of("object-add", **{"qom-type": "iothread", "id": "io2", "thread-pool-max": -1}),
                         "thread-pool-max value must be in range [0, 9223372036854775807]")
        self.assertEqual(self.names_under_objects(), ["cli0", "io0", "io1"])
        # As in QEMU, a pool bound the running object refuses is reported but stays set.
        self.assertEqual(self.error_of("qom-set", path="/objects/io1", property="thread-pool-min", value=100),
                         "bad thread-pool-min/thread-pool-max values")
        self.assertEqual(get("thread-pool-min"), 100)
        self.qmp.command("qom-set", path="/objects/io1", property="thread-pool-max", value=200)
        self.qmp.command("qom-set", path="/objects/io1", property="thread-pool-min", value=100)
        # A negative value is refused before it is set.
        self.assertEqual(self.error_of("qom-set", path="/objects/io1", property="thread-pool-max", value=-4),
                         "thread-pool-max value must be in range [0, 9223372036854775807]")
        self.assertEqual(get("thread-pool-max"), 200)
        self.assertEqual(self.hmp("object_add iothread,id=h0,thread-pool-min=9,thread-pool-max=8"),
                         "Error: bad thread-pool-min/thread-pool-max values\r\n")
        self.assertEqual(self.hmp("object_add iothread,id=h0,thread-pool-min=x"),
                         "Error: Parameter 'thread-pool-min' expects integer\r\n")

    def test_encrypted_secrets(self):
        # AES-256-CBC with another secret as the key. The ciphertexts were made
        # with `openssl enc -aes-256-cbc`; QEMU 7.2 loads and refuses the same.
        key = "AQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQE="  # 32 bytes of 0x01
        iv = "AgICAgICAgICAgICAgICAg=="                       # 16 bytes of 0x02
        # 32 bytes of 0x03 under `key`: a key itself once decrypted.
        wrapped = "nKyUxrSFYfj/qqeGFrpIks4L1OTKUTrkifkPLv7J1P+VKotPuYBucL8RL3eq7Q2M"
        under_03 = "QXlV/4rTTbBUG//1DsPLXw=="  # "hunter2" under 32 bytes of 0x03
        under_04 = "EKqCP7a0zgoAYWcEWv01rA=="  # "hunter2" under 32 bytes of 0x04

        def add(id, **props):
            return self.qmp.command("object-add", **{"qom-type": "secret", "id": id, **props})

        add("k0", data=key, format="base64")
        add("w0", keyid="k0", iv=iv, data=wrapped, format="base64")
        # Only a correct decryption of w0 gives the key that opens this one.
        self.assertEqual(add("s0", keyid="w0", iv=iv, data=under_03, format="base64"), {})
        self.assertEqual(self.qmp.command("qom-get", path="/objects/s0", property="loaded"), True)
        cases = (
            ({"keyid": "w0", "iv": iv, "data": under_04, "format": "base64"},
             "Incorrect number of padding bytes (196) found on decrypted data"),
            ({"keyid": "w0", "data": under_03, "format": "base64"}, "IV is required to decrypt secret"),
            ({"keyid": "w0", "iv": "AgICAgICAgI=", "data": under_03, "format": "base64"},
             "IV should be 16 bytes in length not 8"),
            ({"keyid": "cli0", "iv": iv, "data": under_03, "format": "base64"}, "Key should be 32 bytes in length"),
            ({"keyid": "nope", "iv": iv, "data": under_03}, "No secret with id 'nope'"),
            ({"keyid": "io0", "iv": iv, "data": under_03}, "Object with id 'io0' is not a secret"),
            ({"keyid": "w0", "iv": iv, "data": "abc"}, "Length 3 must be a multiple of block size 16"),
        )
        for props, desc in cases:
            self.assertEqual(self.error_of("object-add", **{"qom-type": "secret", "id": "s1", **props}), desc, props)
        self.assertEqual(self.names_under_objects(), ["cli0", "io0", "k0", "s0", "w0"])

    def test_qmp_errors_are_qemus(self):
        cases = (
            ({"qom-type": "bogus", "id": "x"}, "Parameter 'qom-type' does not accept value 'bogus'"),
            ({"qom-type": "object", "id": "x"}, "Parameter 'qom-type' does not accept value 'object'"),
            ({"qom-type": "secret", "id": "cli0", "data": "x"},
             "attempt to add duplicate property 'cli0' to object (type 'container')"),
            ({"qom-type": "secret", "id": "s1"}, "Either 'file' or 'data' must be provided"),
            ({"qom-type": "secret", "id": "s1", "data": "x", "file": "/x"}, "'file' and 'data' are mutually exclusive"),
            ({"qom-type": "secret", "id": "s1", "data": "x", "bogus": 1}, "Parameter 'bogus' is unexpected"),
            ({"qom-type": "secret", "id": "9x", "data": "x"}, "Parameter 'id' expects an identifier"),
            ({"qom-type": "secret", "data": "x"}, "Parameter 'id' is missing"),
            ({"qom-type": "iothread", "id": "io1", "poll-max-ns": "5"},
             "Invalid parameter type for 'poll-max-ns', expected: integer"),
            ({"qom-type": "iothread", "id": "io1", "poll-max-ns": -1},
             "poll-max-ns value must be in range [0, 9223372036854775807]"),
        )
        for arguments, desc in cases:
            self.assertEqual(self.error_of("object-add", **arguments), desc, arguments)
        # Failed creations leave nothing behind.
        self.assertEqual(self.names_under_objects(), ["cli0", "io0"])

    def test_type_introspection(self):
        # The answers of QEMU 7.2 for the types both have (QEMU lists
        # properties in hash order; compared here as sets).
        def as_set(infos):
            return {tuple(sorted((k, str(v)) for k, v in info.items())) for info in infos}

        self.assertEqual(as_set(self.qmp.command("qom-list-properties", typename="iothread")),
                         as_set([{"name": n, "type": "int"} for n in ("poll-max-ns", "poll-grow", "poll-shrink",
                                                                      "aio-max-batch", "thread-pool-min",
                                                                      "thread-pool-max")] +
                                [{"name": "type", "type": "string"}]))
        self.assertEqual(as_set(self.qmp.command("qom-list-properties", typename="isa-debug-exit")),
                         as_set([{"name": "type", "type": "string"}, {"name": "parent_bus", "type": "link<bus>"},
                                 {"name": "realized", "type": "bool"}, {"name": "hotplugged", "type": "bool"},
                                 {"name": "hotpluggable", "type": "bool"}, {"name": "iosize", "type": "uint32"},
                                 {"name": "iobase", "type": "uint32"}]))
        self.assertEqual(self.qmp.command("device-list-properties", typename="isa-debug-exit"),
                         [{"default-value": 2, "name": "iosize", "type": "uint32"},
                          {"default-value": 1281, "name": "iobase", "type": "uint32"}])
        self.assertEqual(self.qmp.command("qom-list-types", implements="iothread"),
                         [{"name": "iothread", "parent": "user-creatable"}])  # QEMU: parent event-loop-base
        self.assertEqual(self.qmp.command("qom-list-types", implements="bogus"), [])
        cpus = {t["name"] for t in self.qmp.command("qom-list-types", implements="x86_64-cpu")}
        self.assertIn("qemu64-x86_64-cpu", cpus)
        for command, typename, error in (
                ("qom-list-properties", "bogus", ("DeviceNotFound", "Class 'bogus' not found")),
                ("device-list-properties", "bogus", ("DeviceNotFound", "Device 'bogus' not found")),
                ("device-list-properties", "iothread",
                 ("GenericError", "Parameter 'typename' expects a non-abstract device type"))):
            with self.assertRaises(QmpError) as raised:
                self.qmp.command(command, typename=typename)
            self.assertEqual((raised.exception.error_class, raised.exception.desc), error)

    def test_hmp_help(self):
        # QEMU 7.2's texts; it lists every type it has, these are Mimic's.
        listing = (
            "List of user creatable objects:\r\n  iothread\r\n  rng-builtin\r\n  rng-random\r\n  secret\r\n")
        for line in ("object_add help", "object_add ?", "object_add bogus,help"):
            self.assertEqual(self.hmp(line), listing, line)
        self.assertEqual(self.hmp("object_add secret,id=x,help"),
                         "secret options:\r\n  data=<string>\r\n  file=<string>\r\n  format=<QCryptoSecretFormat>\r\n"
                         "  iv=<string>\r\n  keyid=<string>\r\n")
        self.assertEqual(self.names_under_objects(), ["cli0", "io0"])

    def test_hmp(self):
        self.assertEqual(self.hmp("object_add secret,id=h0,data=x"), "")
        self.assertIn("h0", self.names_under_objects())
        self.assertEqual(self.hmp("object_add secret,id=h1"), "Error: Either 'file' or 'data' must be provided\r\n")
        self.assertEqual(self.hmp("object_add secret,id=h1,data=x,bogus=2"),
                         "Error: Parameter 'bogus' is unexpected\r\n")
        self.assertEqual(self.hmp("object_del h0"), "")
        self.assertEqual(self.hmp("object_del h0"), "Error: object 'h0' not found\r\n")
        self.assertEqual(self.names_under_objects(), ["cli0", "io0"])


if __name__ == "__main__":
    unittest.main()
