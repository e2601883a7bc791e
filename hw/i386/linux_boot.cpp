// Linux kernels (bzImage, and old zImage) by the Linux/x86 boot protocol
// (Documentation/arch/x86/boot.rst): the real-mode setup goes to real_addr
// with its header filled in as a boot loader must (type_of_loader, heap,
// command line, initrd), the protected-mode kernel to prot_addr, the
// command line to cmdline_addr and the initrd as high as the kernel and
// the RAM allow (when the RAM is the limit, the option ROM moves it up to
// the top of RAM the BIOS reports). Addresses and rules are QEMU's, so
// kernels see the same boot_params under Mimic as under QEMU.
#include <algorithm>
#include <cstring>

#include "direct_boot.h"
#include "mimic/util/error.h"
#include "mimic/util/load_file.h"

namespace mimic::hw {
namespace {

// Offsets in the setup header (boot.rst, "The real-mode kernel header").
constexpr size_t kSetupSects = 0x1f1;
constexpr size_t kVidMode = 0x1fa;
constexpr size_t kBootFlag = 0x1fe;
constexpr size_t kVersion = 0x206;
constexpr size_t kTypeOfLoader = 0x210;
constexpr size_t kLoadflags = 0x211;
constexpr size_t kRamdiskImage = 0x218;
constexpr size_t kRamdiskSize = 0x21c;
constexpr size_t kHeapEndPtr = 0x224;
constexpr size_t kCmdLinePtr = 0x228;
constexpr size_t kInitrdAddrMax = 0x22c;
constexpr size_t kXloadflags = 0x236;
// Protocol < 2.02: the command line is found through a magic word.
constexpr size_t kOldCmdLineMagic = 0x20;
constexpr size_t kOldCmdLineOffset = 0x22;

constexpr uint8_t kLoadedHigh = 0x01;
constexpr uint8_t kCanUseHeap = 0x80;
constexpr uint16_t kXlfCanBeLoadedAbove4g = 0x02;
// "B" is QEMU's loader ID; Mimic boots kernels exactly as QEMU does.
constexpr uint8_t kLoaderId = 0xb0;

uint16_t get16(const std::vector<uint8_t>& b, size_t at) { return static_cast<uint16_t>(b[at] | b[at + 1] << 8); }
uint32_t get32(const std::vector<uint8_t>& b, size_t at) {
    return uint32_t{get16(b, at)} | uint32_t{get16(b, at + 2)} << 16;
}
void put16(std::vector<uint8_t>& b, size_t at, uint16_t v) {
    b[at] = static_cast<uint8_t>(v);
    b[at + 1] = static_cast<uint8_t>(v >> 8);
}
void put32(std::vector<uint8_t>& b, size_t at, uint32_t v) {
    put16(b, at, static_cast<uint16_t>(v));
    put16(b, at + 2, static_cast<uint16_t>(v >> 16));
}

// "vga=" on the command line sets the setup header's video mode, as the
// boot loaders of old did (the kernel does not parse it itself).
std::optional<uint16_t> video_mode(const std::string& cmdline) {
    size_t at = cmdline.find("vga=");
    if (at == std::string::npos) return std::nullopt;
    std::string value = cmdline.substr(at + 4);
    value = value.substr(0, value.find(' '));
    if (value.rfind("normal", 0) == 0) return 0xffff;
    if (value.rfind("ext", 0) == 0) return 0xfffe;
    if (value.rfind("ask", 0) == 0) return 0xfffd;
    try {
        size_t used = 0;
        unsigned long mode = std::stoul(value, &used, 0);
        if (used == value.size() && mode <= 0xffff) return static_cast<uint16_t>(mode);
    } catch (const std::exception&) {
    }
    throw Error("invalid 'vga=' kernel parameter.");
}

}  // namespace

std::string load_linux(FwCfg& fw_cfg, const cli::VmConfig& config, const std::vector<uint8_t>& image,
                       const DirectBootMemory& memory) {
    namespace key = fw_cfg_key;
    const std::string& path = config.kernel;
    if (image.size() < 0x300) throw Error("invalid kernel header");
    std::vector<uint8_t> header(image.begin(), image.begin() + std::min<size_t>(image.size(), 8192));

    unsigned protocol = 0;
    if (std::memcmp(header.data() + 0x202, "HdrS", 4) == 0) {
        protocol = get16(header, kVersion);
    } else if (std::memcmp(header.data(), "\x7f" "ELF", 4) == 0) {
        // A vmlinux or another ELF that is neither multiboot nor a bzImage.
        throw Error("could not load kernel '{}': ELF image without a multiboot header", path);
    } else if (get16(header, kBootFlag) != 0xaa55) {
        // Not even an old zImage (those start with a boot sector).
        throw Error("invalid kernel header");
    }

    // Where each piece goes (boot.rst, "Memory layout"); QEMU's choices.
    uint32_t cmdline_size = static_cast<uint32_t>((config.append.size() + 16) & ~size_t{15});
    uint32_t real_addr, cmdline_addr, prot_addr;
    if (protocol < 0x200 || !(header[kLoadflags] & kLoadedHigh)) {
        real_addr = 0x90000;  // zImage: everything below 640 KiB
        cmdline_addr = 0x9a000 - cmdline_size;
        prot_addr = 0x10000;
    } else if (protocol < 0x202) {
        real_addr = 0x90000;
        cmdline_addr = 0x9a000 - cmdline_size;
        prot_addr = 0x100000;
    } else {
        real_addr = 0x10000;
        cmdline_addr = 0x20000;
        prot_addr = 0x100000;
    }

    // The highest address the initrd may reach.
    uint64_t initrd_max;
    if (protocol >= 0x20c && (get16(header, kXloadflags) & kXlfCanBeLoadedAbove4g)) initrd_max = UINT32_MAX;
    else if (protocol >= 0x203) initrd_max = get32(header, kInitrdAddrMax);
    else initrd_max = 0x37ffffff;
    uint64_t ram_limit = memory.ram_below_4g - memory.acpi_data_size;
    if (initrd_max >= ram_limit) initrd_max = ram_limit - 1;

    if (protocol >= 0x202) {
        put32(header, kCmdLinePtr, cmdline_addr);
    } else {
        put16(header, kOldCmdLineMagic, 0xa33f);
        put16(header, kOldCmdLineOffset, static_cast<uint16_t>(cmdline_addr - real_addr));
    }
    if (auto mode = video_mode(config.append)) put16(header, kVidMode, *mode);
    if (protocol >= 0x200) header[kTypeOfLoader] = kLoaderId;
    if (protocol >= 0x201) {
        // The heap runs up to the command line.
        header[kLoadflags] |= kCanUseHeap;
        put16(header, kHeapEndPtr, static_cast<uint16_t>(cmdline_addr - real_addr - 0x200));
    }

    // The real-mode part: the boot sector and setup_sects sectors of setup.
    size_t setup_size = header[kSetupSects] == 0 ? 4 : header[kSetupSects];
    setup_size = (setup_size + 1) * 512;
    if (setup_size > image.size()) throw Error("invalid kernel header");
    // The command line sits between the setup heap and the EBDA.
    if (cmdline_addr < real_addr + setup_size || cmdline_addr + config.append.size() + 1 > 0x9a000)
        throw Error("-append: the kernel command line is too long ({} bytes)", config.append.size());
    std::vector<uint8_t> kernel(image.begin() + static_cast<ptrdiff_t>(setup_size), image.end());
    if (prot_addr == 0x10000 && prot_addr + kernel.size() > real_addr)
        throw Error("could not load kernel '{}': too large for a kernel loaded below 1 MiB", path);
    if (prot_addr + kernel.size() > ram_limit)
        throw Error("could not load kernel '{}': it does not fit in the guest's RAM", path);

    if (!config.initrd.empty()) {
        if (protocol < 0x200) throw Error("linux kernel too old to load a ram disk");
        std::vector<uint8_t> initrd;
        try {
            initrd = load_file_bounded(config.initrd, initrd_max - 1);
        } catch (const FileLoadError& e) {
            if (e.reason() == FileLoadError::Reason::kTooLarge)
                throw Error("initrd is too large, cannot support.(max: {}, need {})", initrd_max, e.size());
            throw Error("error reading initrd {}: {}", config.initrd, e.what());
        }
        uint32_t initrd_addr = static_cast<uint32_t>((initrd_max - initrd.size()) & ~uint64_t{4095});
        if (initrd_addr < prot_addr + kernel.size())
            throw Error("initrd is too large, cannot support.(max: {}, need {})",
                        initrd_max - (prot_addr + kernel.size()), initrd.size());
        put32(header, kRamdiskImage, initrd_addr);
        put32(header, kRamdiskSize, static_cast<uint32_t>(initrd.size()));
        fw_cfg.add_i32(key::kInitrdAddr, initrd_addr);
        fw_cfg.add_i32(key::kInitrdSize, static_cast<uint32_t>(initrd.size()));
        fw_cfg.add_bytes(key::kInitrdData, std::move(initrd));
    }

    std::vector<uint8_t> setup(image.begin(), image.begin() + static_cast<ptrdiff_t>(setup_size));
    std::copy_n(header.begin(), std::min(header.size(), setup.size()), setup.begin());

    fw_cfg.add_i32(key::kCmdlineAddr, cmdline_addr);
    fw_cfg.add_i32(key::kCmdlineSize, static_cast<uint32_t>(config.append.size() + 1));
    fw_cfg.add_string(key::kCmdlineData, config.append);
    fw_cfg.add_i32(key::kKernelAddr, prot_addr);
    fw_cfg.add_i32(key::kKernelSize, static_cast<uint32_t>(kernel.size()));
    fw_cfg.add_bytes(key::kKernelData, std::move(kernel));
    fw_cfg.add_i32(key::kSetupAddr, real_addr);
    fw_cfg.add_i32(key::kSetupSize, static_cast<uint32_t>(setup.size()));
    fw_cfg.add_bytes(key::kSetupData, std::move(setup));
    return "mimic-linuxboot.bin";
}

}  // namespace mimic::hw
