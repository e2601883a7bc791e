// Multiboot v1 kernels (the Multiboot Specification 0.6.96): an ELF32 image
// or one using the a.out kludge (header flag 16), modules from -initrd
// ("file1 args,file2"; ",," is a literal comma) and the command line from
// -append. Everything the kernel addresses -- its segments, the module
// table, the command lines, the boot loader name and the page-aligned
// modules -- becomes one image loaded at the kernel's lowest address; the
// information structure goes below 1 MiB, where the option ROM completes it
// with what only the BIOS knows (memory map, mem_lower, mem_upper). QEMU's
// loader has the same shape, so kernels see the same layout.
#include <algorithm>
#include <cstdio>
#include <cstring>

#include "direct_boot.h"
#include "mimic/cli/command_line.h"
#include "mimic/util/error.h"
#include "mimic/util/load_file.h"

namespace mimic::hw {
namespace {

constexpr uint32_t kHeaderMagic = 0x1badb002;
constexpr size_t kSearchLimit = 8192;  // the header lies in the first 8 KiB
constexpr uint32_t kHeaderVideoMode = 1u << 2;
constexpr uint32_t kHeaderAoutKludge = 1u << 16;

// The information structure and the memory map the ROM fills, in
// conventional memory: at 0x9000, or below the ROM's stack (which ends at
// 0x7c00) when the kernel itself loads over 0x9000, as kvm-unit-tests'
// real-mode test (at 0x8000) does.
constexpr uint32_t kInfoSize = 88;
constexpr uint32_t kMmapOffset = 0x100;        // from the structure; 64 entries of 24 bytes follow
constexpr uint32_t kInfoAreaSize = 0x700;
constexpr uint32_t kInfoAddr = 0x9000, kLowInfoAddr = 0x7000;
// A kernel may load below 1 MiB between the ROM's stack and the EBDA; the
// ROM copies it there last, after its BIOS calls.
constexpr uint32_t kLowLoadStart = 0x7c00, kConventionalEnd = 0x9fc00;

// Information structure fields and flags.
constexpr size_t kInfoFlags = 0, kInfoBootDevice = 12, kInfoCmdline = 16, kInfoModsCount = 20,
                 kInfoModsAddr = 24, kInfoMmapAddr = 48, kInfoBootLoaderName = 64;
constexpr uint32_t kInfoHasMemory = 1u << 0, kInfoHasBootDevice = 1u << 1, kInfoHasCmdline = 1u << 2,
                   kInfoHasMods = 1u << 3, kInfoHasMmap = 1u << 6, kInfoHasLoaderName = 1u << 9;
constexpr size_t kModuleEntrySize = 16;
constexpr uint32_t kPage = 4096;

constexpr uint16_t kElfMachine386 = 3;
constexpr uint16_t kElfMachineX86_64 = 62;
constexpr uint32_t kPtLoad = 1;

uint32_t get32(const std::vector<uint8_t>& b, size_t at) {
    return uint32_t{b[at]} | uint32_t{b[at + 1]} << 8 | uint32_t{b[at + 2]} << 16 | uint32_t{b[at + 3]} << 24;
}
uint16_t get16(const std::vector<uint8_t>& b, size_t at) { return static_cast<uint16_t>(b[at] | b[at + 1] << 8); }
void put32(std::vector<uint8_t>& b, size_t at, uint32_t v) {
    for (int i = 0; i < 4; ++i) b[at + static_cast<size_t>(i)] = static_cast<uint8_t>(v >> (8 * i));
}
uint64_t page_align(uint64_t v) { return (v + kPage - 1) & ~uint64_t{kPage - 1}; }

// The kernel's memory image, from its lowest load address.
struct KernelImage {
    uint32_t load_addr = 0;
    uint32_t entry = 0;
    std::vector<uint8_t> bytes;  // includes zeroed bss
};

// The image spans [load_addr, load_addr + size): refused before anything
// that large is allocated when it cannot fit below `ram_limit`.
void check_fits(uint64_t load_addr, uint64_t size, uint64_t ram_limit, const std::string& path) {
    if (load_addr + size > ram_limit) throw Error("could not load kernel '{}': it does not fit in the guest's RAM", path);
}

KernelImage load_elf(const std::vector<uint8_t>& file, const std::string& path, uint64_t ram_limit) {
    auto bad = [&] { return Error("could not load kernel '{}': Error while loading elf kernel", path); };
    if (file.size() < 52) throw bad();
    if (get16(file, 18) == kElfMachineX86_64 || file[4] == 2)
        throw Error("Cannot load x86-64 image, give a 32bit one.");
    if (file[4] != 1 || file[5] != 1 || get16(file, 18) != kElfMachine386) throw bad();
    uint32_t phoff = get32(file, 28);
    uint16_t phentsize = get16(file, 42), phnum = get16(file, 44);
    struct Segment {
        uint32_t offset, vaddr, paddr, filesz, memsz;
    };
    std::vector<Segment> segments;
    for (uint16_t i = 0; i < phnum; ++i) {
        uint64_t at = phoff + uint64_t{i} * phentsize;
        if (phentsize < 32 || at + 32 > file.size()) throw bad();
        if (get32(file, at) != kPtLoad) continue;
        Segment s{get32(file, at + 4), get32(file, at + 8), get32(file, at + 12), get32(file, at + 16),
                  get32(file, at + 20)};
        if (s.filesz > s.memsz || uint64_t{s.offset} + s.filesz > file.size() ||
            uint64_t{s.paddr} + s.memsz > UINT32_MAX)
            throw bad();
        if (s.memsz) segments.push_back(s);
    }
    if (segments.empty()) throw bad();
    uint32_t low = UINT32_MAX, high = 0;
    for (const Segment& s : segments) {
        low = std::min(low, s.paddr);
        high = std::max(high, s.paddr + s.memsz);
    }
    check_fits(low, high - low, ram_limit, path);
    KernelImage kernel;
    kernel.load_addr = low;
    kernel.bytes.assign(high - low, 0);
    for (const Segment& s : segments)
        std::copy_n(file.begin() + s.offset, s.filesz, kernel.bytes.begin() + (s.paddr - low));
    // Loading is by physical address; an entry point given as a virtual
    // address (higher-half kernels) is translated through its segment.
    kernel.entry = get32(file, 24);
    bool entry_loaded = kernel.entry >= low && kernel.entry < high;
    for (const Segment& s : segments) {
        if (!entry_loaded && kernel.entry >= s.vaddr && kernel.entry - s.vaddr < s.memsz) {
            kernel.entry = kernel.entry - s.vaddr + s.paddr;
            break;
        }
    }
    return kernel;
}

// The a.out kludge: the header says where the file's bytes go.
KernelImage load_aout_kludge(const std::vector<uint8_t>& file, size_t header_at, const std::string& path,
                             uint64_t ram_limit) {
    uint32_t header_addr = get32(file, header_at + 12);
    uint32_t load_addr = get32(file, header_at + 16);
    uint32_t load_end_addr = get32(file, header_at + 20);
    uint32_t bss_end_addr = get32(file, header_at + 24);
    if (header_addr < load_addr || header_addr - load_addr > header_at)
        throw Error("could not load kernel '{}': invalid mh_load_addr address", path);
    size_t text_offset = header_at - (header_addr - load_addr);
    uint64_t load_size;
    if (load_end_addr) {
        if (load_end_addr < load_addr)
            throw Error("could not load kernel '{}': invalid mh_load_end_addr address", path);
        load_size = load_end_addr - load_addr;
        if (text_offset + load_size > file.size())
            throw Error("could not load kernel '{}': invalid kernel_file_size", path);
    } else {
        load_size = file.size() - text_offset;
    }
    uint64_t total = load_size;
    if (bss_end_addr) {
        if (bss_end_addr < load_addr + load_size)
            throw Error("could not load kernel '{}': invalid mh_bss_end_addr address", path);
        total = bss_end_addr - load_addr;
    }
    check_fits(load_addr, total, ram_limit, path);
    KernelImage kernel;
    kernel.load_addr = load_addr;
    kernel.entry = get32(file, header_at + 28);
    kernel.bytes.assign(total, 0);
    std::copy_n(file.begin() + static_cast<ptrdiff_t>(text_offset), load_size, kernel.bytes.begin());
    return kernel;
}

// "-initrd a args,b": entries split at single commas (",," is a comma).
std::vector<std::string> split_modules(const std::string& list) {
    std::vector<std::string> modules(1);
    for (size_t i = 0; i < list.size(); ++i) {
        if (list[i] == ',' && i + 1 < list.size() && list[i + 1] == ',') {
            modules.back() += ',';
            ++i;
        } else if (list[i] == ',') {
            modules.emplace_back();
        } else {
            modules.back() += list[i];
        }
    }
    return modules;
}

}  // namespace

std::optional<std::string> load_multiboot(FwCfg& fw_cfg, const cli::VmConfig& config,
                                          const std::vector<uint8_t>& image, const DirectBootMemory& memory) {
    const std::string& path = config.kernel;
    size_t limit = std::min(image.size(), kSearchLimit);
    std::optional<size_t> header_at;
    for (size_t at = 0; at + 48 <= limit; at += 4) {
        if (get32(image, at) == kHeaderMagic && get32(image, at) + get32(image, at + 4) + get32(image, at + 8) == 0) {
            header_at = at;
            break;
        }
    }
    if (!header_at) return std::nullopt;
    uint32_t flags = get32(image, *header_at + 4);
    if (flags & kHeaderVideoMode) std::fprintf(stderr, "%s: multiboot knows VBE. we don't.\n", cli::kProgramName);

    uint64_t ram_limit = memory.ram_below_4g - memory.acpi_data_size;
    KernelImage kernel = (flags & kHeaderAoutKludge) ? load_aout_kludge(image, *header_at, path, ram_limit)
                                                     : load_elf(image, path, ram_limit);
    if (kernel.load_addr < kLowLoadStart)
        throw Error("could not load kernel '{}': it loads over the BIOS data and the loader's stack (at {:#x})",
                    path, kernel.load_addr);

    // The image: kernel, module table, command lines, boot loader name, then
    // each module on its own pages.
    std::vector<std::string> modules = config.initrd.empty() ? std::vector<std::string>{} : split_modules(config.initrd);
    std::string cmdline = path + " " + config.append;
    const std::string loader_name = "mimic";
    uint64_t table_at = page_align(kernel.bytes.size());
    uint64_t strings_at = table_at + modules.size() * kModuleEntrySize;
    uint64_t strings_size = cmdline.size() + 1 + loader_name.size() + 1;
    for (const std::string& module : modules) strings_size += module.size() + 1;
    std::vector<uint8_t> blob = std::move(kernel.bytes);
    blob.resize(page_align(strings_at + strings_size), 0);
    uint64_t string_end = strings_at;
    auto add_string = [&](const std::string& text) {
        uint32_t addr = static_cast<uint32_t>(kernel.load_addr + string_end);
        std::copy(text.begin(), text.end(), blob.begin() + static_cast<ptrdiff_t>(string_end));
        string_end += text.size() + 1;
        return addr;
    };
    for (size_t i = 0; i < modules.size(); ++i) {
        std::string file = modules[i].substr(0, modules[i].find(' '));
        uint64_t start = blob.size();
        uint64_t used = kernel.load_addr + start;
        std::vector<uint8_t> data;
        try {
            data = load_file_bounded(file, used < ram_limit ? ram_limit - used : 0);
        } catch (const FileLoadError& e) {
            if (e.reason() == FileLoadError::Reason::kTooLarge)
                throw Error("could not load kernel '{}': the kernel and its modules do not fit in the guest's RAM", path);
            // QEMU's one message for a module it cannot read.
            throw Error("Failed to open file '{}'", file);
        }
        blob.insert(blob.end(), data.begin(), data.end());
        blob.resize(page_align(blob.size()), 0);
        size_t entry = table_at + i * kModuleEntrySize;
        put32(blob, entry, static_cast<uint32_t>(kernel.load_addr + start));
        put32(blob, entry + 4, static_cast<uint32_t>(kernel.load_addr + start + data.size()));
        put32(blob, entry + 8, add_string(modules[i]));
    }
    if (kernel.load_addr + blob.size() > ram_limit)
        throw Error("could not load kernel '{}': it does not fit in the guest's RAM", path);
    if (kernel.load_addr < 0x100000 && kernel.load_addr + blob.size() > kConventionalEnd)
        throw Error("could not load kernel '{}': loaded at {:#x}, it and its modules run past conventional memory",
                    path, kernel.load_addr);
    const bool covers_info = kernel.load_addr < kInfoAddr + kInfoAreaSize && kernel.load_addr + blob.size() > kInfoAddr;
    const uint32_t info_addr = covers_info ? kLowInfoAddr : kInfoAddr;

    std::vector<uint8_t> info(kInfoSize, 0);
    put32(info, kInfoFlags, kInfoHasMemory | kInfoHasBootDevice | kInfoHasCmdline | kInfoHasMods | kInfoHasMmap |
                                kInfoHasLoaderName);
    put32(info, kInfoBootDevice, 0x8000ffff);  // first BIOS disk, no partition
    put32(info, kInfoCmdline, add_string(cmdline));
    put32(info, kInfoBootLoaderName, add_string(loader_name));
    put32(info, kInfoModsCount, static_cast<uint32_t>(modules.size()));
    put32(info, kInfoModsAddr, static_cast<uint32_t>(kernel.load_addr + table_at));
    put32(info, kInfoMmapAddr, info_addr + kMmapOffset);

    namespace key = fw_cfg_key;
    fw_cfg.add_i32(key::kKernelEntry, kernel.entry);
    fw_cfg.add_i32(key::kKernelAddr, kernel.load_addr);
    fw_cfg.add_i32(key::kKernelSize, static_cast<uint32_t>(blob.size()));
    fw_cfg.add_bytes(key::kKernelData, std::move(blob));
    fw_cfg.add_i32(key::kInitrdAddr, info_addr);
    fw_cfg.add_i32(key::kInitrdSize, kInfoSize);
    fw_cfg.add_bytes(key::kInitrdData, std::move(info));
    return "mimic-multiboot.bin";
}

}  // namespace mimic::hw
