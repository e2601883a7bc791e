// -kernel on the pc machine: picks the loader, adds the option ROM.
#include "direct_boot.h"

#include <cstring>

#include "mimic/util/error.h"
#include "mimic/util/load_file.h"

namespace mimic::hw {

namespace {

// Mimic's own option ROMs end up in the 128 KiB below the BIOS.
constexpr uint64_t kMaxOptionRomSize = 1024 * 1024;

// -kernel as QEMU words its failures: "could not open" when the file is
// not there, "could not load" for everything else about it.
std::vector<uint8_t> load_kernel_file(const std::string& path, const DirectBootMemory& memory) {
    try {
        // fw_cfg items are at most 4 GiB, and nothing that large fits below 4 GiB.
        return load_file_bounded(path, memory.ram_below_4g - 1);
    } catch (const FileLoadError& e) {
        switch (e.reason()) {
        case FileLoadError::Reason::kOpen:
            throw Error("could not open kernel file '{}': {}", path, e.what());
        case FileLoadError::Reason::kTooLarge:
            throw Error("could not load kernel '{}': it is larger than the guest's RAM below 4 GiB", path);
        default:
            throw Error("could not load kernel '{}': {}", path, e.what());
        }
    }
}

}  // namespace

std::string load_direct_boot(FwCfg& fw_cfg, const cli::VmConfig& config, const DirectBootMemory& memory,
                             const system::FirmwarePath& firmware) {
    std::vector<uint8_t> image = load_kernel_file(config.kernel, memory);
    if (image.empty()) throw Error("could not load kernel '{}': the file is empty", config.kernel);

    std::string rom_name;
    bool linux_header = image.size() >= 0x206 && std::memcmp(image.data() + 0x202, "HdrS", 4) == 0;
    if (!linux_header) {
        if (auto multiboot = load_multiboot(fw_cfg, config, image, memory)) rom_name = *multiboot;
    }
    if (rom_name.empty()) rom_name = load_linux(fw_cfg, config, image, memory);

    auto rom_path = firmware.find(rom_name);
    if (!rom_path) throw Error("Could not find option rom '{}'", rom_name);
    std::vector<uint8_t> rom;
    try {
        rom = load_file_bounded(*rom_path, kMaxOptionRomSize);
    } catch (const FileLoadError& e) {
        throw Error("could not open option rom '{}': {}", *rom_path, e.what());
    }
    fw_cfg.add_file("genroms/" + rom_name, std::move(rom));
    // The board lists it in "bootorder"; QEMU gives the ROM bootindex 0.
    return "/rom@genroms/" + rom_name;
}

}  // namespace mimic::hw
