// "pc-testdev": QEMU's ISA test device, which kvm-unit-tests' x86 tests
// find with `-device ?` and use to drive interrupt lines and to check port
// and memory-mapped I/O emulation:
//   ports 0xe0-0xe3  a 32-bit data register, accessible by byte lanes
//   ports 0xe8-0xeb  the same register, reached one byte at a time
//   port  0xe4       "flush page": on QEMU it protects and unprotects the
//                    host's mapping of a guest page to exercise KVM's page
//                    tracking; nothing a guest can observe, so it takes the
//                    dword write and does nothing else here too
//   ports 0x2000+n   a byte write sets ISA IRQ n (0-15) to (value != 0)
//   0xff000000       64 KiB of memory-mapped scratch that reads back what
//                    was written
#include <algorithm>
#include <array>
#include <cstring>

#include "mimic/hw/isa.h"
#include "mimic/hw/machine.h"
#include "mimic/util/log.h"

namespace mimic::hw {
namespace {

constexpr uint16_t kDataPort = 0xe0, kFlushPort = 0xe4, kDataBytePort = 0xe8, kIrqPorts = 0x2000;
constexpr unsigned kIrqPortCount = 24;   // QEMU maps 24; only the 16 ISA lines exist
constexpr uint64_t kIomemBase = 0xff000000, kIomemSize = 0x10000;

class PcTestdev : public IsaDevice {
protected:
    void do_realize() override {
        data_region_.init_io("pc-testdev-ioport", 4, data_ops(4));
        data_bytes_region_.init_io("pc-testdev-ioport-byte", 4, data_ops(1));

        memory::MmioOps flush;
        flush.read = [](uint64_t, unsigned) -> uint64_t { return ~0ull; };
        flush.write = [](uint64_t, uint64_t, unsigned) {};
        flush.valid = {4, 4, false};
        flush_region_.init_io("pc-testdev-flush-page", 4, std::move(flush));

        memory::MmioOps irq;
        irq.read = [](uint64_t, unsigned) -> uint64_t { return ~0ull; };
        irq.write = [this](uint64_t offset, uint64_t value, unsigned) {
            IrqLine line = isa_irq(static_cast<int>(offset));
            if (!line.connected()) {
                MIMIC_LOG(log::kGuestErrors, "pc-testdev: no ISA IRQ {}\n", offset);
                return;
            }
            line.set(value != 0);
        };
        irq.valid = {1, 1, false};
        irq_region_.init_io("pc-testdev-irq-line", kIrqPortCount, std::move(irq));

        memory::MmioOps iomem;
        iomem.read = [this](uint64_t offset, unsigned size) -> uint64_t {
            uint64_t value = 0;
            std::memcpy(&value, &iomem_buf_[offset], std::min<uint64_t>(size, kIomemSize - offset));
            return value;
        };
        iomem.write = [this](uint64_t offset, uint64_t value, unsigned size) {
            std::memcpy(&iomem_buf_[offset], &value, std::min<uint64_t>(size, kIomemSize - offset));
        };
        iomem.valid = {1, 8, false};
        iomem.impl = {1, 8, false};
        iomem_region_.init_io("pc-testdev-iomem", kIomemSize, std::move(iomem));

        register_ioport(data_region_, kDataPort);
        register_ioport(flush_region_, kFlushPort);
        register_ioport(data_bytes_region_, kDataBytePort);
        register_ioport(irq_region_, kIrqPorts);
        if (Machine* machine = Machine::of(*this)) machine->system_memory().add_subregion(kIomemBase, iomem_region_);
    }

    void do_unrealize() override {
        IsaDevice::do_unrealize();
        if (iomem_region_.parent()) iomem_region_.parent()->del_subregion(iomem_region_);
    }

private:
    // The data register by byte lanes: an access of `size` bytes at `offset`
    // reads or replaces those lanes. `impl` 1 has the memory API split wider
    // accesses into bytes, as QEMU's byte-wide window does.
    memory::MmioOps data_ops(unsigned impl) {
        memory::MmioOps ops;
        ops.read = [this](uint64_t offset, unsigned size) -> uint64_t {
            return (data_ >> (8 * (offset & 3))) & lane_mask(size);
        };
        ops.write = [this](uint64_t offset, uint64_t value, unsigned size) {
            const unsigned shift = 8 * (offset & 3);
            data_ = static_cast<uint32_t>((data_ & ~(lane_mask(size) << shift)) | ((value & lane_mask(size)) << shift));
        };
        ops.valid = {1, 4, false};
        ops.impl = {1, impl, false};
        return ops;
    }
    static uint64_t lane_mask(unsigned size) { return size >= 8 ? ~0ull : (1ull << (8 * size)) - 1; }

    uint32_t data_ = 0;
    std::array<uint8_t, kIomemSize> iomem_buf_{};
    memory::MemoryRegion data_region_, data_bytes_region_, flush_region_, irq_region_, iomem_region_;
};

MIMIC_REGISTER_TYPE({
    .name = "pc-testdev",
    .parent = qom::kTypeIsaDevice,
    .factory = qom::factory_of<PcTestdev>(),
    .categories = {qom::DeviceCategory::kMisc},
});

}  // namespace
}  // namespace mimic::hw
