// "pci-testdev": QEMU's PCI test device (Red Hat 1b36:0005, class 0x00ff,
// QEMU's PCI_CLASS_OTHERS),
// which kvm-unit-tests and hot-plug tests use as a harmless PCI function.
//
// BAR0 (4 KiB memory) and BAR1 (256 bytes of I/O) each hold three tests,
// selected by writing the test number to offset 0 of the BAR; the selected
// test's header then reads at offset 0 byte by byte:
//   +0 test number (0-2 in BAR0, 3-5 in BAR1)   +1 access width (1)
//   +4 offset the test watches (dword)          +8 data a write must carry
//   +12 count of writes seen (dword)            +16 name, NUL-terminated
// Tests: "no-eventfd" counts every byte write at the watched offset that
// carries the data (0xFA); "wildcard-eventfd" and "datamatch-eventfd"
// stand for writes QEMU hands to an ioeventfd: a one-byte write at the
// offset (of any data, resp. 0xFA) is consumed there and not counted, so
// the count moves only for writes the eventfd does not take, as in QEMU.
// Selecting a test zeroes its count; a number past 2 deselects (reads 0).
//
// membar=SIZE adds BAR2, a 64-bit prefetchable memory BAR with nothing
// behind it.
#include <array>
#include <string>

#include "mimic/hw/pci.h"
#include "mimic/util/error.h"

namespace mimic::hw {
namespace {

constexpr uint64_t kMmioSize = 2 * 2048;
constexpr uint64_t kPortIoSize = 2 * 128;
constexpr int kTestsPerBar = 3;
constexpr uint8_t kDataMatch = 0xfa;
constexpr uint8_t kNoMatch = 0xce;

class PciTestdev : public PciDevice {
public:
    uint64_t membar_size_ = 0;

protected:
    void pci_realize() override {
        if (membar_size_ & (membar_size_ - 1)) {
            throw Error("pci-testdev: membar size {} is not a power of 2", membar_size_);
        }
        set_ids({.vendor = 0x1b36, .device = 0x0005, .revision = 0x00, .class_code = 0x00ff00});
        set_interrupt_pin(0);
        for (int bar = 0; bar < 2; ++bar) {
            memory::MmioOps ops;
            ops.read = [this](uint64_t offset, unsigned size) -> uint64_t {
                uint64_t value = 0;
                for (unsigned i = 0; i < size; ++i) value |= uint64_t{read_byte(offset + i)} << (8 * i);
                return value;
            };
            ops.write = [this, bar](uint64_t offset, uint64_t value, unsigned size) {
                write(bar, offset, value, size);
            };
            ops.valid = {1, 4, false};
            ops.impl = {1, 4, false};
            regions_[bar].init_io(bar ? "pci-testdev-portio" : "pci-testdev-mmio", bar ? kPortIoSize : kMmioSize,
                                  std::move(ops));
        }
        register_bar(0, kBarMem32, regions_[0]);
        register_bar(1, kBarIo, regions_[1]);
        if (membar_size_) {
            membar_.init_container("pci-testdev-membar", membar_size_);
            register_bar(2, kBarMem64 | kBarPrefetch, membar_);
        }
        for (int i = 0; i < 2 * kTestsPerBar; ++i) {
            Test& test = tests_[static_cast<size_t>(i)];
            bool portio = i >= kTestsPerBar;
            const char* kind[] = {"no-eventfd", "wildcard-eventfd", "datamatch-eventfd"};
            test.name = std::string(portio ? "portio-" : "mmio-") + kind[i % kTestsPerBar];
            test.offset = static_cast<uint32_t>((portio ? kPortIoSize : kMmioSize) / 2 + static_cast<unsigned>(i));
            test.match_data = i % kTestsPerBar != 1;
            test.eventfd = i % kTestsPerBar != 0;
            test.data = test.match_data ? kDataMatch : kNoMatch;
        }
        current_ = -1;
    }

    void pci_reset() override { current_ = -1; }

private:
    struct Test {
        std::string name;
        uint32_t offset = 0;
        uint32_t count = 0;
        uint8_t data = 0;
        bool match_data = false;
        bool eventfd = false;
    };

    // The header of the selected test, byte by byte; its last byte (the
    // name's NUL) and everything past it read as zero.
    uint8_t read_byte(uint64_t offset) const {
        if (current_ < 0) return 0;
        const Test& test = tests_[static_cast<size_t>(current_)];
        uint64_t header_size = 16 + test.name.size() + 1;
        if (offset + 1 >= header_size) return 0;
        auto dword_byte = [offset](uint32_t value, uint64_t base) {
            return static_cast<uint8_t>(value >> (8 * (offset - base)));
        };
        if (offset == 0) return static_cast<uint8_t>(current_);
        if (offset == 1) return 1;
        if (offset >= 4 && offset < 8) return dword_byte(test.offset, 4);
        if (offset == 8) return test.data;
        if (offset >= 12 && offset < 16) return dword_byte(test.count, 12);
        if (offset >= 16) return static_cast<uint8_t>(test.name[offset - 16]);
        return 0;
    }

    void write(int bar, uint64_t offset, uint64_t value, unsigned size) {
        if (current_ >= 0) {
            const Test& test = tests_[static_cast<size_t>(current_)];
            // What QEMU's ioeventfd would take before the device sees it:
            // the whole access, of the test's width, at its offset in its BAR.
            if (test.eventfd && current_ / kTestsPerBar == bar && offset == test.offset && size == 1 &&
                (!test.match_data || static_cast<uint8_t>(value) == test.data)) {
                return;
            }
        }
        for (unsigned i = 0; i < size; ++i) write_byte(bar, offset + i, static_cast<uint8_t>(value >> (8 * i)));
    }

    void write_byte(int bar, uint64_t offset, uint8_t value) {
        if (offset == 0) {
            current_ = -1;
            if (value >= kTestsPerBar) return;
            current_ = bar * kTestsPerBar + value;
            tests_[static_cast<size_t>(current_)].count = 0;
            return;
        }
        if (current_ < 0) return;
        Test& test = tests_[static_cast<size_t>(current_)];
        if (offset != test.offset || (test.match_data && value != test.data)) return;
        ++test.count;
    }

    std::array<memory::MemoryRegion, 2> regions_;
    memory::MemoryRegion membar_;
    std::array<Test, 2 * kTestsPerBar> tests_;
    int current_ = -1;
};

}  // namespace

MIMIC_REGISTER_TYPE({
    .name = "pci-testdev",
    .parent = kTypePciDevice,
    .factory = qom::factory_of<PciTestdev>(),
    .description = "PCI Test Device",
    .properties = {
        qom::prop::size("membar", &PciTestdev::membar_size_, 0),
    },
    .categories = {qom::DeviceCategory::kMisc},
});

}  // namespace mimic::hw
