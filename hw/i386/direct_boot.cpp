// -kernel on the pc machine: picks the loader, adds the option ROM.
#include "direct_boot.h"

#include <cerrno>
#include <cstring>
#include <fstream>
#include <iterator>

#include "mimic/util/error.h"

namespace mimic::hw {

std::optional<std::vector<uint8_t>> read_whole_file(const std::string& path, int& err) {
    errno = 0;
    std::ifstream file(path, std::ios::binary);
    if (!file) {
        err = errno ? errno : EIO;
        return std::nullopt;
    }
    std::vector<uint8_t> data((std::istreambuf_iterator<char>(file)), std::istreambuf_iterator<char>());
    if (file.bad()) {
        err = errno ? errno : EIO;
        return std::nullopt;
    }
    return data;
}

std::vector<uint8_t> read_boot_file(const std::string& path, const std::string& what) {
    int err = 0;
    auto data = read_whole_file(path, err);
    if (!data) throw Error("could not open {} '{}': {}", what, path, errno_string(err));
    return std::move(*data);
}

void load_direct_boot(FwCfg& fw_cfg, const cli::VmConfig& config, const DirectBootMemory& memory,
                      const system::FirmwarePath& firmware) {
    std::vector<uint8_t> image = read_boot_file(config.kernel, "kernel file");
    if (image.empty()) throw Error("could not load kernel '{}': the file is empty", config.kernel);
    // fw_cfg items are at most 4 GiB, and nothing that large fits below 4 GiB.
    if (image.size() >= memory.ram_below_4g)
        throw Error("could not load kernel '{}': it is larger than the guest's RAM below 4 GiB", config.kernel);

    std::string rom_name;
    bool linux_header = image.size() >= 0x206 && std::memcmp(image.data() + 0x202, "HdrS", 4) == 0;
    if (!linux_header) {
        if (auto multiboot = load_multiboot(fw_cfg, config, image, memory)) rom_name = *multiboot;
    }
    if (rom_name.empty()) rom_name = load_linux(fw_cfg, config, image, memory);

    auto rom_path = firmware.find(rom_name);
    if (!rom_path) throw Error("Could not find option rom '{}'", rom_name);
    std::vector<uint8_t> rom = read_boot_file(*rom_path, "option rom");
    fw_cfg.add_file("genroms/" + rom_name, std::move(rom));
    // The kernel is the first boot device (QEMU gives its ROM bootindex 0).
    std::string order = "/rom@genroms/" + rom_name;
    std::vector<uint8_t> bootorder(order.begin(), order.end());
    bootorder.push_back(0);
    fw_cfg.add_file("bootorder", std::move(bootorder));
}

}  // namespace mimic::hw
