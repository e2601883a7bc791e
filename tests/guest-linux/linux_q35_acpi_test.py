#!/usr/bin/env python3
"""Linux on -machine q35 uses its ACPI tables cleanly: Debian's kernel
(the test guest, build_guest.py) boots with an e1000 on user networking
and an intel-iommu, then

  1. dmesg has no ACPI error or warning, and no firmware-bug complaint;
  2. the tables it found are q35's (MCFG, DMAR; FADT revision 3), the
     MMCONFIG window is reserved by the DSDT, PCI0 is a PCIe root, the
     DMAR's unit and IOAPIC scope were taken;
  3. the e1000 (00:02.0, INTA) got GSI 22 through _PRT in APIC mode
     (link GSIG = PIRQG), its driver got a DHCP lease and its interrupt
     line on the IOAPIC counted interrupts;
  4. system_powerdown presses the ACPI power button: the kernel's button
     driver (added to this guest; the plain test guest has no module for
     it) sees the fixed power-button event and the guest (a shell loop
     standing in for acpid) powers off through \\_S5.

    linux_q35_acpi_test.py EMULATOR [--pic]

--pic boots with noapic (and no intel-iommu): the kernel routes PCI
interrupts in PIC mode, through link LNKG. SeaBIOS routed PIRQG to IRQ 11;
acpi_irq_isa=11 with acpi_irq_balance makes the kernel move the link to
IRQ 10, so the e1000 interrupts only if LNKG's _SRS reprogrammed the
LPC's PIRQG route register.

EMULATOR may be Debian's qemu-system-x86_64 too, to check the test itself.
"""
import os
import re
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import build_guest  # noqa: E402
from linux_pci_hotplug_test import BOOT_TIMEOUT_S, STEP_TIMEOUT_S, Console, Failure, Qmp, check  # noqa: E402

# What the kernel says when it dislikes the firmware's tables.
ACPI_COMPLAINTS = re.compile(r"ACPI (BIOS )?(Error|Warning)|ACPI Exception|AE_[A-Z_]+|\[Firmware Bug\]|"
                             r"not reserved in ACPI|_OSC failed")


# The ACPI button driver, loaded before the shell starts.
BUTTON_INIT = 'for module in $(cat /etc/modules-extra.load); do insmod "/lib/modules/$module"; done\n'


def main():
    emulator = sys.argv[1]
    pic = "--pic" in sys.argv[2:]
    guest = build_guest.build(build_guest.cache_dir() + "-acpi-button", extra_init=BUTTON_INIT,
                              extra_modules=["button"])
    with tempfile.TemporaryDirectory(prefix="mimic-q35acpi-") as workdir:
        qmp_path = os.path.join(workdir, "qmp.sock")
        # The whole default board (AHCI with its empty CD-ROM on port 2, VGA).
        command = [emulator, "-machine", "q35", "-m", "512", "-display", "none",
                   "-no-reboot", "-serial", "stdio",
                   "-qmp", "unix:%s,server=on,wait=off" % qmp_path,
                   "-netdev", "user,id=n0", "-device", "e1000,netdev=n0",
                   "-kernel", os.path.join(guest, "vmlinuz"), "-initrd", os.path.join(guest, "initrd.img"),
                   "-append", build_guest.BASE_APPEND + " mimic.net=10.0.2.15 mimic.end=shell" +
                   (" noapic acpi_irq_balance acpi_irq_isa=11" if pic else "")]
        if not pic:
            command += ["-device", "intel-iommu"]
        if "qemu" in os.path.basename(emulator):
            command += ["-accel", "tcg"]
        print(" ".join(command), flush=True)
        vm = subprocess.Popen(command, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
        console = Console(vm)
        try:
            qmp = Qmp(qmp_path)
            boot = console.wait("MIMIC-GUEST: busybox shell", BOOT_TIMEOUT_S)
            check("MIMIC-CHECK ok: eth0 has 10.0.2.15 by DHCP" in boot, "the e1000 got a DHCP lease")
            time.sleep(0.5)  # let the shell start reading

            dmesg = console.run("dmesg")
            complaints = [line for line in dmesg.splitlines() if ACPI_COMPLAINTS.search(line)]
            check(not complaints, "no ACPI complaint in dmesg %s" % complaints)
            tables = console.run("ls /sys/firmware/acpi/tables").split()
            wanted = ["DSDT", "FACP", "APIC", "HPET", "MCFG", "WAET"] + ([] if pic else ["DMAR"])
            check(all(t in tables for t in wanted), "the kernel has q35's tables (%s)" % " ".join(tables))
            revision = console.run("dd if=/sys/firmware/acpi/tables/FACP bs=1 skip=8 count=1 2>/dev/null | od -An -tu1")
            check(revision.strip() == "3", "FADT revision 3 (%s)" % revision.strip())
            expected = [
                (r"system 00:0\d: \[mem 0xb0000000-0xbfffffff window\] has been reserved", "MMCONFIG reserved by DRAC"),
                (r"PCI Root Bridge \[PCI0\] \(domain 0000 \[bus 00-ff\]\)", "PCI0 is the root bridge"),
                (r"_OSC: OS now controls \[.*PCIeCapability", "_OSC handed PCIe control to the OS"),
            ]
            if pic:
                expected += [
                    (r"ACPI: Using PIC for interrupt routing", "PIC mode interrupt routing"),
                    (r"LNKG: Enabled at IRQ 10\b", "the e1000's link LNKG moved to IRQ 10"),
                ]
            else:
                expected += [
                    (r"DMAR: DRHD base: 0x000000fed90000", "the DMAR's remapping unit"),
                    (r"DMAR-IR: IOAPIC id 0 under DRHD base\s+0xfed90000", "the DMAR's IOAPIC scope"),
                    (r"ACPI: Using IOAPIC for interrupt routing", "APIC mode interrupt routing"),
                    (r"GSIG: Enabled at IRQ 22", "the e1000's link GSIG enabled at GSI 22"),
                ]
            for pattern, what in expected:
                check(re.search(pattern, dmesg), "%s (/%s/ in dmesg)" % (what, pattern))
            irq = console.run("cat /sys/bus/pci/devices/0000:00:02.0/irq").strip()
            if pic:
                check(irq == "10", "the e1000 at 00:02.0 has IRQ 10 (%s)" % irq)
                controller = "XT-PIC"
            else:
                check(irq == "22", "the e1000 at 00:02.0 has IRQ 22 (%s)" % irq)
                controller = "IO-APIC"
            line = console.run("grep eth0 /proc/interrupts").strip()
            counts = [int(word) for word in line.split()[1:] if word.isdigit()]
            check(controller in line and line.split(":")[0].strip() == irq and sum(counts) > 0,
                  "eth0 interrupts arrive on %s line %s (%s)" % (controller, irq, line))

            # The guest has no acpid: this loop reacts to the kernel's count
            # of fixed power-button events, as acpid would to the event.
            driver = console.run("cat /sys/firmware/acpi/interrupts/ff_pwr_btn").split()
            check("enabled" in driver, "the button driver enabled the power button (%s)" % " ".join(driver))
            vm.stdin.write(b"(while [ \"$(awk '{print $1}' /sys/firmware/acpi/interrupts/ff_pwr_btn)\" = 0 ];"
                           b" do sleep 0.2; done; echo MIMIC-POWER-BUTTON-$((6*7)); poweroff -f) &\n")
            vm.stdin.flush()
            time.sleep(1)
            qmp.command("system_powerdown")
            console.wait("MIMIC-POWER-BUTTON-42", STEP_TIMEOUT_S)
            code = vm.wait(timeout=STEP_TIMEOUT_S)
            check(code == 0, "the guest powered off by ACPI after system_powerdown (exit status %s)" % code)
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
