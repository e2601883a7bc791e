// libFuzzer target: a generic device fuzzer over qtest, in the spirit of
// QEMU's generic-fuzz. Each input is a program of port I/O, MMIO, PCI
// config accesses, guest-memory writes (the rings and buffers devices DMA
// from) and clock steps, run on a fresh pc machine with every device of the
// board plus IDE drives, an e1000 (no back end: frames go nowhere), a std
// VGA, a virtio-blk-pci (on an empty read-only image) and a modern-only
// virtio-rng-pci, their BARs mapped at fixed addresses.
//
// The machine is the emulator binary itself (MIMIC_SYSTEM), started per
// input with -accel qtest -qtest stdio and confined (confined_process.h): it
// cannot be built inside this process without compiling all of Mimic with
// the fuzzing instrumentation. Its code therefore gives no coverage; what
// the fuzzer learns from instead is the machine's answers: every distinct
// (register, value read) pair sets a counter libFuzzer treats as coverage.
//
// A crash is the child dying by a signal (or not answering for 10 s): the
// input is then reported with abort(), so libFuzzer keeps it as an artifact.
//
// Input: a text program when it starts with '#' (qtest lines, '#' comments;
// the checked-in seeds), otherwise binary operations (decode_operations).
#include <algorithm>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <fmt/format.h>

#include "confined_process.h"

namespace {

using mimic::fuzz::ConfinedProcess;

struct Region {
    const char* name;
    uint64_t base;
    uint64_t size;
};

// I/O ports of the pc board and of the BARs the prologue maps.
constexpr Region kPortRegions[] = {
    {"pic1", 0x20, 2},      {"pit", 0x40, 4},        {"i8042", 0x60, 5},    {"rtc", 0x70, 2},
    {"port92", 0x92, 1},    {"pic2", 0xa0, 2},       {"ide1", 0x170, 8},    {"ide0", 0x1f0, 8},
    {"vbe", 0x1ce, 2},      {"ide1-ctl", 0x376, 1},  {"vga", 0x3b0, 0x30},  {"ide0-ctl", 0x3f6, 1},
    {"com1", 0x3f8, 8},     {"fw_cfg", 0x510, 12},   {"acpi-pm", 0x600, 0x40}, {"pci-hotplug", 0xae00, 0x14},
    {"gpe", 0xafe0, 4},     {"pci-conf", 0xcf8, 8},  {"e1000-io", 0xc000, 0x40}, {"bmdma", 0xc040, 0x10},
    {"elcr", 0x4d0, 2},     {"virtio-blk-io", 0xc080, 0x80},
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

std::string pci_address(uint8_t devfn, uint8_t reg) {
    return fmt::format("outl 0xcf8 {:#x}\n", 0x80000000u | (unsigned{devfn} << 8) | (reg & 0xfcu));
}

std::string pci_write(uint8_t devfn, uint8_t reg, uint32_t value) {
    return pci_address(devfn, reg) + fmt::format("outl 0xcfc {:#x}\n", value);
}

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

// One qtest request and what its answer says about the machine.
struct Request {
    std::string line;
    uint32_t feature_key;  // which register was read; 0: the answer is not a feature
};

constexpr size_t kMaxOperations = 256;

std::vector<Request> decode_operations(const uint8_t* data, size_t size) {
    std::vector<Request> program;
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
                uint32_t key = static_cast<uint32_t>((port << 4) | width);
                if (op % 8 == 0) {
                    program.push_back({fmt::format("in{} {:#x}", access_suffix(width), port), key});
                } else {
                    program.push_back({fmt::format("out{} {:#x} {:#x}", access_suffix(width), port, in.take(width)), 0});
                }
                break;
            }
            case 2:
            case 3: {  // MMIO read / write
                const Region& r = kMmioRegions[in.take(1) % std::size(kMmioRegions)];
                uint64_t addr = (r.base + in.take(3) % r.size) & ~uint64_t{width - 1};
                uint32_t key = static_cast<uint32_t>(addr ^ (addr >> 32)) * 8 + width;
                if (op % 8 == 2) {
                    program.push_back({fmt::format("read{} {:#x}", access_suffix(width), addr), key | 1});
                } else {
                    program.push_back({fmt::format("write{} {:#x} {:#x}", access_suffix(width), addr, in.take(width)), 0});
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
                program.push_back({select, 0});
                if (op % 8 == 4) {
                    program.push_back({"inl 0xcfc", 0x40000000u | (unsigned{devfn} << 8) | reg});
                } else {
                    program.push_back({fmt::format("outl 0xcfc {:#x}", in.take(4)), 0});
                }
                break;
            }
            case 6: {  // guest memory: descriptor rings, PRD tables, buffers
                uint64_t addr = in.take(3) % 0x100000;
                unsigned length = 1 + static_cast<unsigned>(in.take(1) % 64);
                std::string hex;
                for (unsigned i = 0; i < length; ++i) hex += fmt::format("{:02x}", static_cast<unsigned>(in.take(1)));
                program.push_back({fmt::format("write {:#x} {} 0x{}", addr, length, hex), 0});
                break;
            }
            case 7:  // let timers run
                program.push_back({fmt::format("clock_step {}", (in.take(2) + 1) * 1000), 0});
                break;
        }
    }
    return program;
}

std::vector<Request> decode_text(std::string_view text) {
    std::vector<Request> program;
    while (!text.empty() && program.size() < kMaxOperations) {
        size_t end = text.find_first_of("\n;");
        std::string_view line = text.substr(0, end);
        text = end == std::string_view::npos ? std::string_view{} : text.substr(end + 1);
        while (!line.empty() && line.front() == ' ') line.remove_prefix(1);
        if (line.empty() || line.front() == '#') continue;
        program.push_back({std::string(line), static_cast<uint32_t>(std::hash<std::string_view>{}(line))});
    }
    return program;
}

// Distinct answers to distinct reads: libFuzzer's extra coverage.
__attribute__((used, section("__libfuzzer_extra_counters"))) uint8_t answer_features[1 << 16];

void note_answer(uint32_t key, const std::string& answer) {
    if (!key) return;
    uint64_t h = std::hash<std::string>{}(answer) * 0x9e3779b97f4a7c15ull ^ key;
    uint8_t& counter = answer_features[(h ^ (h >> 29)) % sizeof answer_features];
    if (counter < 255) ++counter;
}

std::vector<std::string> machine_argv() {
    const char* binary = std::getenv("MIMIC_SYSTEM");
    if (!binary) {
        std::fprintf(stderr, "device_fuzz: set MIMIC_SYSTEM to mimic-system-x86_64\n");
        std::exit(2);
    }
    return {binary, "-machine", "pc", "-accel", "qtest", "-qtest", "stdio", "-display", "none",
            "-nodefaults", "-m", "64",
            "-chardev", "null,id=com1", "-device", "isa-serial,chardev=com1",
            "-device", "VGA,addr=02.0", "-device", "e1000,addr=03.0",
            "-drive", "if=ide,index=2,media=cdrom",
            "-drive", "if=none,id=vd,file=/dev/null,format=raw,readonly=on",
            "-device", "virtio-blk-pci,drive=vd,addr=04.0",
            "-device", "virtio-rng-pci,disable-legacy=on,addr=05.0"};
}

}  // namespace

// The machine must come up and take the prologue, or every input would only
// test that it does not.
extern "C" int LLVMFuzzerInitialize(int*, char***) {
    ConfinedProcess machine(machine_argv());
    std::string setup = prologue();
    machine.send(setup);
    for (size_t i = 0, n = static_cast<size_t>(std::count(setup.begin(), setup.end(), '\n')); i < n; ++i) {
        std::optional<std::string> answer = machine.read_line(std::chrono::seconds(30));
        if (!answer || !answer->starts_with("OK")) {
            machine.finish(std::chrono::milliseconds(0));
            std::fprintf(stderr, "device_fuzz: the machine did not take the prologue (%s):\n%s\n",
                         answer ? answer->c_str() : "no answer", machine.stderr_tail().c_str());
            std::exit(2);
        }
    }
    return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    static const std::vector<std::string> argv = machine_argv();
    static const std::string setup = prologue();
    std::vector<Request> program = size && data[0] == '#'
        ? decode_text({reinterpret_cast<const char*>(data), size})
        : decode_operations(data, size);

    ConfinedProcess machine(argv);
    std::string requests = setup;
    for (const Request& request : program) requests += request.line + "\n";
    machine.send(requests);
    const size_t setup_lines = static_cast<size_t>(std::count(setup.begin(), setup.end(), '\n'));
    constexpr auto kAnswerTimeout = std::chrono::seconds(10);
    size_t answered = 0;
    for (size_t i = 0; i < setup_lines + program.size(); ++i) {
        std::optional<std::string> answer;
        do {  // interrupt notifications are not answers
            answer = machine.read_line(kAnswerTimeout);
        } while (answer && answer->starts_with("IRQ"));
        if (!answer) break;
        if (i >= setup_lines) note_answer(program[i - setup_lines].feature_key, *answer);
        ++answered;
    }
    bool hung = machine.timed_out();
    bool all_answered = answered == setup_lines + program.size();
    // A machine that closed its output early is on its way out: wait for
    // its real status rather than kill it.
    int status = machine.finish(all_answered || hung ? std::chrono::milliseconds(0) : std::chrono::milliseconds(5000));
    if (hung || mimic::fuzz::is_crash(status)) {
        size_t failed_at = answered >= setup_lines ? answered - setup_lines : 0;
        std::fprintf(stderr, "device_fuzz: the machine %s at request %zu: %s\n%s\n",
                     hung ? "stopped answering" : "crashed", failed_at,
                     failed_at < program.size() ? program[failed_at].line.c_str() : "(setup)",
                     mimic::fuzz::describe_status(status).c_str());
        std::fprintf(stderr, "its stderr:\n%s\nthe program:\n", machine.stderr_tail().c_str());
        for (const Request& request : program) std::fprintf(stderr, "%s\n", request.line.c_str());
        std::abort();
    }
    return 0;
}
