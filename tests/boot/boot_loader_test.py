#!/usr/bin/env python3
"""Real boot loaders from Debian reach their menus under the translator.

usage: boot_loader_test.py MIMIC grub|isolinux
  grub      an ISO made by grub-mkrescue (i386-pc) shows its menu;
  isolinux  an ISOLINUX ISO reads its config and waits at "boot:".
Both are checked on the VGA text buffer at 0xB8000, read over QMP with
pmemsave (GRUB draws its menu there; SeaBIOS's serial mirror garbles it).
"""
import sys
import tempfile

import boot_vm

BINARY, LOADER = sys.argv[1], sys.argv[2]
DEADLINE_S = 60


def run(iso, wanted, also=()):
    with boot_vm.Vm(BINARY, ["-display", "none", "-m", "128", "-cdrom", iso, "-boot", "d"], qmp=True) as vm:
        found, lines = vm.wait_screen(wanted, DEADLINE_S)
        missing = [text for text in also if not any(text in line for line in lines)]
        if not found or missing:
            print("FAIL: screen lacks %r:" % ([wanted] if not found else missing))
            print("\n".join(lines))
            return 1
        print("PASS: %s on screen after %.1f s" % (wanted, vm.elapsed()))
        print("\n".join(line for line in lines if line))
        return 0


def main():
    tools = {"grub": ["grub-mkrescue", "xorriso"], "isolinux": ["xorriso"]}[LOADER]
    missing = boot_vm.missing_tools(tools)
    if missing:
        print("FAIL: missing %s (scripts/setup.sh installs them)" % " ".join(missing))
        return 1
    with tempfile.TemporaryDirectory() as workdir:
        if LOADER == "grub":
            return run(boot_vm.grub_iso(workdir), boot_vm.GRUB_MENU_ENTRY,
                       also=["GNU GRUB  version", "Press enter to boot the selected OS"])
        # The prompt comes after the config's SAY line, so the line proves the
        # CD file system was read; "boot:" alone would not.
        return run(boot_vm.isolinux_iso(workdir), "boot:", also=["ISOLINUX", boot_vm.ISOLINUX_BANNER])


if __name__ == "__main__":
    sys.exit(main())
