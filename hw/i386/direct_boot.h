// Direct kernel boot on the pc machine (-kernel, -initrd, -append), as QEMU
// does it: the board puts the kernel's pieces and where they go into fw_cfg
// and adds an option ROM of Mimic's own (pc-bios/optionrom) as
// genroms/NAME, which the board puts first in "bootorder". SeaBIOS runs that ROM as its first
// boot device; the ROM loads the pieces by fw_cfg DMA and enters the kernel.
//
// Two kinds of kernel: Linux bzImage/zImage (linux_boot.cpp, the Linux/x86
// boot protocol) and multiboot v1 (multiboot.cpp).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "mimic/cli/vm_config.h"
#include "mimic/hw/fw_cfg.h"
#include "mimic/system/firmware.h"

namespace mimic::hw {

// What the loaders need to know about the machine.
struct DirectBootMemory {
    uint64_t ram_below_4g = 0;
    // The top of low RAM that SeaBIOS keeps for its tables (ACPI and
    // others); QEMU 7.2's pc keeps 128 KiB clear of the initrd.
    uint64_t acpi_data_size = 0x20000;
};

// Loads config.kernel (with config.initrd, config.append) into `fw_cfg`.
// Throws mimic::Error with QEMU's wording for a missing, unreadable,
// too-large or non-kernel file. Returns the ROM's boot device path
// ("/rom@genroms/linuxboot_dma.bin"), bootindex 0 in "bootorder".
std::string load_direct_boot(FwCfg& fw_cfg, const cli::VmConfig& config, const DirectBootMemory& memory,
                             const system::FirmwarePath& firmware);

// A Linux kernel: fills the fw_cfg items; returns the option ROM to run.
std::string load_linux(FwCfg& fw_cfg, const cli::VmConfig& config, const std::vector<uint8_t>& image,
                       const DirectBootMemory& memory);

// A multiboot kernel, if `image` carries a multiboot header (nullopt if
// not): fills the fw_cfg items; returns the option ROM to run.
std::optional<std::string> load_multiboot(FwCfg& fw_cfg, const cli::VmConfig& config,
                                          const std::vector<uint8_t>& image, const DirectBootMemory& memory);

}  // namespace mimic::hw
