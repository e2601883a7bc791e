// libFuzzer targets: a generic device fuzzer over qtest, in the spirit of
// QEMU's generic-fuzz. Each input is a program of port I/O, MMIO, PCI
// config accesses, guest-memory writes (the rings, tables and buffers
// devices DMA from) and clock steps, run on one of two boards, their BARs
// mapped at fixed addresses:
//  - device_fuzz: a pc machine with every device of the board (the PIIX4
//    SMBus and its EEPROMs among them) plus IDE drives, an e1000 (no back
//    end: frames go nowhere), a std VGA, a virtio-blk-pci (on an empty
//    read-only image) and a modern-only virtio-rng-pci;
//  - device_fuzz_q35 (built with MIMIC_FUZZ_Q35): a q35 machine (MCH,
//    MMCONFIG, ICH9 LPC, AHCI, SMBus) behind an intel-iommu with DMA and
//    interrupt remapping on, with edu and e1000 as bus masters.
//
// The machine lives in this process, built with the same instrumentation
// as the fuzzer, so libFuzzer sees the device code's coverage and the
// sanitizers see its memory errors. It is built once; after every input it
// gets a system reset and its conventional RAM is cleared, so each input
// starts from a machine that looks fresh to the devices (QEMU forks per
// input instead: slower, and it needs its coverage counters in shared
// memory). The requests go through the qtest protocol itself, on a chardev
// of this file's own that hands them to the session in memory.
//
// Input: a text program when it starts with '#' (qtest lines, '#' comments;
// the checked-in seeds), otherwise binary operations (decode_operations).
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <iterator>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include <fmt/format.h>

#include "mimic/chardev/chardev.h"
#include "mimic/chardev/registry.h"
#include "mimic/cli/command_line.h"
#include "mimic/system/vm.h"
#include "mimic/util/error.h"

namespace {

struct Region {
    const char* name;
    uint64_t base;
    uint64_t size;
};

std::string pci_address(uint8_t devfn, uint8_t reg) {
    return fmt::format("outl 0xcf8 {:#x}\n", 0x80000000u | (unsigned{devfn} << 8) | (reg & 0xfcu));
}

std::string pci_write(uint8_t devfn, uint8_t reg, uint32_t value) {
    return pci_address(devfn, reg) + fmt::format("outl 0xcfc {:#x}\n", value);
}

#ifndef MIMIC_FUZZ_Q35

// The pc board: PIIX3/PIIX4 functions, PIIX IDE with a CD-ROM, e1000, VGA,
// virtio-blk-pci and virtio-rng-pci.
constexpr const char* kBoardArgs[] = {
    "-machine", "pc", "-m", "64",
    "-chardev", "null,id=com1", "-device", "isa-serial,chardev=com1",
    "-device", "VGA,addr=02.0", "-device", "e1000,addr=03.0",
    "-drive", "if=ide,index=2,media=cdrom",
    "-drive", "if=none,id=vd,file=/dev/null,format=raw,readonly=on",
    "-device", "virtio-blk-pci,drive=vd,addr=04.0",
    "-device", "virtio-rng-pci,disable-legacy=on,addr=05.0"};

// I/O ports of the pc board and of the BARs the prologue maps.
constexpr Region kPortRegions[] = {
    {"pic1", 0x20, 2},      {"pit", 0x40, 4},        {"i8042", 0x60, 5},    {"rtc", 0x70, 2},
    {"port92", 0x92, 1},    {"pic2", 0xa0, 2},       {"ide1", 0x170, 8},    {"ide0", 0x1f0, 8},
    {"vbe", 0x1ce, 2},      {"ide1-ctl", 0x376, 1},  {"vga", 0x3b0, 0x30},  {"ide0-ctl", 0x3f6, 1},
    {"com1", 0x3f8, 8},     {"fw_cfg", 0x510, 12},   {"acpi-pm", 0x600, 0x40}, {"pci-hotplug", 0xae00, 0x14},
    {"gpe", 0xafe0, 4},     {"pci-conf", 0xcf8, 8},  {"e1000-io", 0xc000, 0x40}, {"bmdma", 0xc040, 0x10},
    {"elcr", 0x4d0, 2},     {"virtio-blk-io", 0xc080, 0x80}, {"smbus", 0xb100, 0x40},
};

// MMIO: device registers, the VGA windows and low RAM (where DMA goes).
constexpr Region kMmioRegions[] = {
    {"e1000", 0xfebc0000, 0x20000}, {"vga-mmio", 0xfebd0000, 0x1000}, {"vga-lfb", 0xfd000000, 0x1000000},
    {"vga-legacy", 0xa0000, 0x20000}, {"hpet", 0xfed00000, 0x400},    {"ioapic", 0xfec00000, 0x100},
    {"lapic", 0xfee00000, 0x1000},    {"ram", 0x0, 0x100000},
    {"virtio-blk-msix", 0xfebe0000, 0x1000}, {"virtio-blk", 0xfe000000, 0x4000},
    {"virtio-rng-msix", 0xfebe1000, 0x1000}, {"virtio-rng", 0xfe004000, 0x4000},
};

// PCI functions the prologue knows (bus 0): devfn.
constexpr uint8_t kPciFunctions[] = {0x00, 0x08, 0x09, 0x0b, 0x10, 0x18, 0x20, 0x28};

// What firmware would have done: BARs at fixed places, decoding and bus
// mastering on, the PM I/O space enabled.
std::string prologue() {
    std::string p;
    p += pci_write(0x18, 0x10, 0xfebc0000);  // e1000 (00:03.0) BAR0: registers
    p += pci_write(0x18, 0x14, 0xc001);      // BAR1: I/O window
    p += pci_write(0x18, 0x04, 0x7);
    p += pci_write(0x10, 0x10, 0xfd000008);  // VGA (00:02.0) BAR0: framebuffer
    p += pci_write(0x10, 0x18, 0xfebd0000);  // BAR2: MMIO
    p += pci_write(0x10, 0x04, 0x3);
    p += pci_write(0x09, 0x20, 0xc041);      // PIIX IDE (00:01.1) BAR4: bus-master DMA
    p += pci_write(0x09, 0x40, 0x80008000);  // both channels decoded
    p += pci_write(0x09, 0x04, 0x5);
    p += pci_write(0x20, 0x10, 0xc081);      // virtio-blk-pci (00:04.0) BAR0: legacy
    p += pci_write(0x20, 0x14, 0xfebe0000);  // BAR1: MSI-X
    p += pci_write(0x20, 0x20, 0xfe00000c);  // BAR4: modern
    p += pci_write(0x20, 0x04, 0x7);
    p += pci_write(0x28, 0x14, 0xfebe1000);  // virtio-rng-pci (00:05.0, modern only) BAR1: MSI-X
    p += pci_write(0x28, 0x20, 0xfe00400c);  // BAR4: modern
    p += pci_write(0x28, 0x04, 0x6);
    p += pci_write(0x0b, 0x40, 0x601);       // PIIX4 PM (00:01.3): PM base
    p += pci_write(0x0b, 0x80, 0x1);
    return p;
}

#else

// The q35 board behind an Intel IOMMU with interrupt remapping: MCH and
// MMCONFIG, ICH9 LPC (PM block, root complex registers), AHCI with a
// CD-ROM on port 2, SMBus, and an edu and an e1000 as bus masters.
constexpr const char* kBoardArgs[] = {
    "-machine", "q35", "-m", "64",
    "-chardev", "null,id=com1", "-device", "isa-serial,chardev=com1",
    "-device", "intel-iommu,intremap=on", "-device", "edu,addr=02.0", "-device", "e1000,addr=03.0",
    "-drive", "if=ide,index=2,media=cdrom"};

constexpr Region kPortRegions[] = {
    {"pic1", 0x20, 2},   {"pit", 0x40, 4},      {"i8042", 0x60, 5},      {"rtc", 0x70, 2},
    {"port92", 0x92, 1}, {"apm", 0xb2, 2},      {"pic2", 0xa0, 2},       {"com1", 0x3f8, 8},
    {"fw_cfg", 0x510, 12}, {"ich9-pm", 0x600, 0x80}, {"pci-conf", 0xcf8, 8}, {"elcr", 0x4d0, 2},
    {"e1000-io", 0xc000, 0x40}, {"ahci-idp", 0xc040, 0x20}, {"smbus", 0xc080, 0x40},
};

std::string memory_write_qword(uint64_t address, uint64_t value) {
    return fmt::format("writeq {:#x} {:#x}\n", address, value);
}

constexpr uint64_t kRootTable = 0x10000, kContextTable = 0x11000, kPageTables = 0x12000, kIrTable = 0x20000;

constexpr Region kMmioRegions[] = {
    {"e1000", 0xfebc0000, 0x20000}, {"ahci", 0xfebd0000, 0x1000},   {"edu", 0xfea00000, 0x100},
    {"intel-iommu", 0xfed90000, 0x230}, {"mmconfig", 0xb0000000, 0x100000}, {"rcba", 0xfed1c000, 0x4000},
    {"hpet", 0xfed00000, 0x400},    {"ioapic", 0xfec00000, 0x100}, {"lapic", 0xfee00000, 0x1000},
    {"ram", 0x0, 0x100000},         {"iommu-tables", kRootTable, 0x20000},
};

constexpr uint8_t kPciFunctions[] = {0x00, 0x10, 0x18, 0xf8, 0xfa, 0xfb};

// Firmware's programming, then an OS's: translation on for edu (00:02.0)
// and AHCI (00:1f.2) through tables in low RAM the program may rewrite,
// and interrupt remapping with its table there too.
std::string prologue() {
    std::string p;
    p += pci_write(0x00, 0x60, 0xb0000001);  // MCH: MMCONFIG at 0xb0000000
    p += pci_write(0xf8, 0x40, 0x601);       // LPC: PM block at 0x600, ACPI on
    p += pci_write(0xf8, 0x44, 0x80);
    p += pci_write(0xf8, 0xf0, 0xfed1c001);  // root complex register block
    p += pci_write(0xf8, 0x60, 0x0b0b0a0a);  // PIRQA-D, E-H routes
    p += pci_write(0xf8, 0x68, 0x0b0b0a0a);
    p += pci_write(0x18, 0x10, 0xfebc0000);  // e1000 (00:03.0)
    p += pci_write(0x18, 0x14, 0xc001);
    p += pci_write(0x18, 0x04, 0x7);
    p += pci_write(0x10, 0x10, 0xfea00000);  // edu (00:02.0)
    p += pci_write(0x10, 0x04, 0x6);
    p += pci_write(0xfa, 0x20, 0xc041);      // AHCI (00:1f.2): index/data pair, ABAR
    p += pci_write(0xfa, 0x24, 0xfebd0000);
    p += pci_write(0xfa, 0x04, 0x7);
    p += pci_write(0xfb, 0x20, 0xc081);      // SMBus (00:1f.3), host enabled
    p += pci_write(0xfb, 0x04, 0x1);
    p += pci_write(0xfb, 0x40, 0x1);
    p += memory_write_qword(kRootTable, kContextTable | 1);
    for (uint64_t devfn : {0x10, 0xfa}) {
        p += memory_write_qword(kContextTable + 16 * devfn, kPageTables | 1);
        p += memory_write_qword(kContextTable + 16 * devfn + 8, 1 | devfn << 8);
    }
    p += memory_write_qword(kPageTables, (kPageTables + 0x1000) | 3);
    p += memory_write_qword(kPageTables + 0x1000, (kPageTables + 0x2000) | 3);
    p += memory_write_qword(0xfed90020, kRootTable);
    p += fmt::format("writel 0xfed90018 {:#x}\n", 1u << 30);                         // SRTP
    p += memory_write_qword(0xfed900b8, kIrTable | 7);
    p += fmt::format("writel 0xfed90018 {:#x}\n", 1u << 30 | 1u << 24);              // SIRTP
    p += fmt::format("writel 0xfed90018 {:#x}\n", 1u << 30 | 1u << 24 | 1u << 25);   // IRE
    p += fmt::format("writel 0xfed90018 {:#x}\n", 1u << 31 | 1u << 30 | 1u << 25);  // TE
    return p;
}

#endif

const char* access_suffix(unsigned size) { return size == 1 ? "b" : size == 2 ? "w" : size == 4 ? "l" : "q"; }

// Pulls bytes off the input; past the end everything reads as zero.
class Reader {
public:
    Reader(const uint8_t* data, size_t size) : data_(data), size_(size) {}
    bool empty() const { return pos_ >= size_; }
    uint64_t take(unsigned bytes) {
        uint64_t value = 0;
        for (unsigned i = 0; i < bytes; ++i) value |= uint64_t{pos_ < size_ ? data_[pos_++] : uint8_t{0}} << (8 * i);
        return value;
    }

private:
    const uint8_t* data_;
    size_t size_;
    size_t pos_ = 0;
};

constexpr size_t kMaxOperations = 256;

std::vector<std::string> decode_operations(const uint8_t* data, size_t size) {
    std::vector<std::string> program;
    Reader in(data, size);
    while (!in.empty() && program.size() < kMaxOperations) {
        uint8_t op = static_cast<uint8_t>(in.take(1));
        unsigned size_code = (op >> 4) & 3;
        unsigned width = 1u << size_code;
        switch (op % 8) {
            case 0:
            case 1: {  // port read / write
                const Region& r = kPortRegions[in.take(1) % std::size(kPortRegions)];
                uint64_t port = r.base + in.take(1) % r.size;
                if (width == 8) width = 4;
                if (op % 8 == 0) {
                    program.push_back(fmt::format("in{} {:#x}", access_suffix(width), port));
                } else {
                    program.push_back(fmt::format("out{} {:#x} {:#x}", access_suffix(width), port, in.take(width)));
                }
                break;
            }
            case 2:
            case 3: {  // MMIO read / write
                const Region& r = kMmioRegions[in.take(1) % std::size(kMmioRegions)];
                uint64_t addr = (r.base + in.take(3) % r.size) & ~uint64_t{width - 1};
                if (op % 8 == 2) {
                    program.push_back(fmt::format("read{} {:#x}", access_suffix(width), addr));
                } else {
                    program.push_back(fmt::format("write{} {:#x} {:#x}", access_suffix(width), addr, in.take(width)));
                }
                break;
            }
            case 4:
            case 5: {  // PCI config read / write, on a known function or any
                uint8_t devfn = (op & 0x40) ? static_cast<uint8_t>(in.take(1))
                                            : kPciFunctions[in.take(1) % std::size(kPciFunctions)];
                uint8_t reg = static_cast<uint8_t>(in.take(1));
                std::string select = pci_address(devfn, reg);
                select.pop_back();
                program.push_back(select);
                if (op % 8 == 4) {
                    program.push_back("inl 0xcfc");
                } else {
                    program.push_back(fmt::format("outl 0xcfc {:#x}", in.take(4)));
                }
                break;
            }
            case 6: {  // guest memory: descriptor rings, PRD tables, buffers
                uint64_t addr = in.take(3) % 0x100000;
                unsigned length = 1 + static_cast<unsigned>(in.take(1) % 64);
                std::string hex;
                for (unsigned i = 0; i < length; ++i) hex += fmt::format("{:02x}", static_cast<unsigned>(in.take(1)));
                program.push_back(fmt::format("write {:#x} {} 0x{}", addr, length, hex));
                break;
            }
            case 7:  // let timers run
                program.push_back(fmt::format("clock_step {}", (in.take(2) + 1) * 1000));
                break;
        }
    }
    return program;
}

std::vector<std::string> decode_text(std::string_view text) {
    std::vector<std::string> program;
    while (!text.empty() && program.size() < kMaxOperations) {
        size_t end = text.find_first_of("\n;");
        std::string_view line = text.substr(0, end);
        text = end == std::string_view::npos ? std::string_view{} : text.substr(end + 1);
        while (!line.empty() && line.front() == ' ') line.remove_prefix(1);
        if (line.empty() || line.front() == '#') continue;
        // Virtual time runs timers one period at a time, as in QEMU: a
        // mutated "clock_step 2600000062600000060" (82 years of a 3 ms PIT)
        // would only measure the fuzzer's patience. Steps stay within 10 s.
        constexpr std::string_view kClockStep = "clock_step ";
        constexpr uint64_t kMaxStepNs = 10'000'000'000;
        if (line.starts_with(kClockStep)) {
            uint64_t ns = 0;
            for (char c : line.substr(kClockStep.size())) {
                if (c < '0' || c > '9') break;
                ns = std::min<uint64_t>(ns * 10 + static_cast<uint64_t>(c - '0'), kMaxStepNs);
            }
            program.push_back(fmt::format("clock_step {}", ns));
            continue;
        }
        program.emplace_back(line);
    }
    return program;
}

// The qtest line in memory: send() hands a request to the session -qtest
// attached, which answers through do_write() at once.
class QtestLine final : public mimic::chardev::Chardev {
public:
    static constexpr const char* kId = "fuzz-qtest";
    QtestLine() : Chardev(kId) { set_open(true); }
    const char* backend_name() const override { return "fuzz"; }

    // Returns the answer, without its newline ("" if nothing answered).
    const std::string& send(const std::string& request) {
        answer_.clear();
        std::string line = request + "\n";
        frontend_receive(std::span(reinterpret_cast<const uint8_t*>(line.data()), line.size()));
        if (!answer_.empty() && answer_.back() == '\n') answer_.pop_back();
        return answer_;
    }

protected:
    size_t do_write(std::span<const uint8_t> data) override {
        answer_.append(reinterpret_cast<const char*>(data.data()), data.size());
        return data.size();
    }

private:
    std::string answer_;
};

std::vector<std::string> machine_argv() {
    std::vector<std::string> argv = {"mimic-system-x86_64", "-accel", "qtest", "-display", "none", "-qtest",
                                     fmt::format("chardev:{}", QtestLine::kId), "-nodefaults", "-no-shutdown"};
    argv.insert(argv.end(), std::begin(kBoardArgs), std::end(kBoardArgs));
    return argv;
}

// Lives until the process exits: building the machine is the slow part.
struct Machine {
    mimic::cli::VmConfig config;
    QtestLine* line = nullptr;
    std::unique_ptr<mimic::system::Vm> vm;
    std::vector<std::string> setup;
};
Machine* machine = nullptr;

[[noreturn]] void give_up(const std::string& why) {
    std::fprintf(stderr, "device_fuzz: %s\n", why.c_str());
    std::exit(2);
}

// Puts the BARs back where the programs expect them (a reset clears them).
void run_setup() {
    for (const std::string& request : machine->setup) {
        const std::string& answer = machine->line->send(request);
        if (!answer.starts_with("OK")) give_up(fmt::format("the machine did not take '{}': '{}'", request, answer));
    }
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
    machine = new Machine;
    std::vector<std::string> words = machine_argv();
    std::vector<char*> argv;
    for (std::string& word : words) argv.push_back(word.data());
    argv.push_back(nullptr);
    try {
        auto& registry = mimic::chardev::ChardevRegistry::global();
        machine->line = static_cast<QtestLine*>(&registry.adopt(std::make_unique<QtestLine>()));
        mimic::cli::ParseOutcome outcome = mimic::cli::parse_command_line(static_cast<int>(words.size()), argv.data());
        machine->config = std::move(outcome.config);
        machine->vm = std::make_unique<mimic::system::Vm>(machine->config);
        machine->vm->start();
    } catch (const mimic::Error& e) {
        give_up(fmt::format("could not build the machine: {}", e.what()));
    }
    std::string setup = prologue();
    for (std::string_view rest = setup; !rest.empty();) {
        size_t end = rest.find('\n');
        machine->setup.emplace_back(rest.substr(0, end));
        rest.remove_prefix(end + 1);
    }
    run_setup();
    return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    std::vector<std::string> program = size && data[0] == '#'
        ? decode_text({reinterpret_cast<const char*>(data), size})
        : decode_operations(data, size);
    for (const std::string& request : program) machine->line->send(request);
    // Bottom halves and completions the requests scheduled.
    machine->vm->poll();
    machine->vm->system_reset();
    machine->line->send("memset 0 0xa0000 0");
    run_setup();
    return 0;
}
