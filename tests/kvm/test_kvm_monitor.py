"""The monitor on a KVM guest: the same CPU and memory commands as under
the translator (test_vm_monitor.CpuAndMemoryTest, re-run with -accel kvm),
plus what only KVM has: query-kvm enabled, one host thread per vCPU, and
stop/cont/system_reset of vCPUs that run in the kernel.

Run by ctest only where /dev/kvm opens (kvm_available.sh); MIMIC_SYSTEM is
the emulator, tests/monitor is on PYTHONPATH.
"""

import os
import unittest

import test_vm_monitor
from test_vm_monitor import SYSTEM, VmCase


@unittest.skipUnless(SYSTEM and os.path.exists(SYSTEM), "MIMIC_SYSTEM not set")
class KvmCpuAndMemoryTest(test_vm_monitor.CpuAndMemoryTest):
    def setUp(self):
        self.start("-S", "-accel", "kvm", "-bios", "@TINY@")

    def test_cpus(self):
        cpus = self.qmp.command("query-cpus-fast")
        self.assertEqual(len(cpus), 1)
        self.assertGreater(cpus[0]["thread-id"], 0)
        self.assertNotEqual(cpus[0]["thread-id"], self.process.pid)
        self.assertEqual(self.hmp("info cpus"), f"* CPU #0: thread_id={cpus[0]['thread-id']}\r\n")
        self.assertEqual(self.qmp.command("query-kvm"), {"enabled": True, "present": True})
        self.assertEqual(self.hmp("info kvm"), "kvm support: enabled\r\n")


@unittest.skipUnless(SYSTEM and os.path.exists(SYSTEM), "MIMIC_SYSTEM not set")
class KvmRunControlTest(VmCase):
    def test_stop_cont_and_system_reset(self):
        self.start("-S", "-accel", "kvm", "-bios", "@TINY@")
        at_reset = self.hmp("info registers")
        self.qmp.command("cont")
        self.qmp.wait_event("RESUME")
        self.wait_for(lambda: self.hmp("xp /1xh 0x500") == "0000000000000500: 0xdead\r\n", "the store to 0x500")
        self.qmp.command("stop")
        self.qmp.wait_event("STOP")
        self.assertEqual(self.qmp.command("query-status")["status"], "paused")
        self.assertIn("ESI=12345678", self.hmp("info registers"))
        # A reset while stopped puts the vCPU back to its power-on state.
        self.qmp.command("system_reset")
        self.qmp.wait_event("RESET")
        self.assertEqual(self.hmp("info registers"), at_reset)
        self.assertNotIn("ESI=12345678", at_reset)
        self.qmp.command("cont")
        self.qmp.wait_event("RESUME")
        self.wait_for(lambda: "ESI=12345678" in self.hmp("info registers"), "the program to run again")

    def test_mce_is_refused_not_ignored(self):
        # Machine checks are injected by the translator only: under KVM the
        # command says so rather than doing nothing.
        self.start("-S", "-accel", "kvm", "-bios", "@TINY@")
        self.assertEqual(self.hmp("mce 0 1 0xb200000000000000 0 0 0"), "MCE injection not supported\r\n")

    def test_one_thread_per_vcpu(self):
        self.start("-S", "-accel", "kvm", "-bios", "@TINY@", "-smp", "2")
        threads = [c["thread-id"] for c in self.qmp.command("query-cpus-fast")]
        self.assertEqual(len(set(threads)), 2, threads)
        self.assertEqual(self.hmp("info cpus"),
                         f"* CPU #0: thread_id={threads[0]}\r\n  CPU #1: thread_id={threads[1]}\r\n")


if __name__ == "__main__":
    unittest.main()
