// "edu": QEMU's educational PCI device (1234:11e8, revision 0x10, class
// 0x00ff00), for learning to write drivers; behaves as QEMU 7.2's
// hw/misc/edu.c and docs/specs/edu.rst describe.
//
// BAR0, 1 MiB of 32-bit MMIO. Below 0x80 only 4-byte accesses count, from
// 0x80 4- or 8-byte ones; anything else reads all ones and writes nothing.
//   0x00 RO  identification 0x010000ed (major 1, minor 0, 0xed)
//   0x04 RW  liveness: reads back the bitwise inverse of what was written
//   0x08 RW  factorial: a write starts computing n! (mod 2^32), which
//            replaces the value when done
//   0x20 RW  status: 0x01 computing (RO), 0x80 raise interrupt 0x001 when a
//            factorial is done
//   0x24 RO  interrupt status
//   0x60 WO  raise: ORs the value into interrupt status, interrupts
//   0x64 WO  acknowledge: clears the bits; the interrupt drops at zero
//   0x80 RW  DMA source, 0x88 destination, 0x90 count (fixed while a
//            transfer runs)
//   0x98 RW  DMA command: 0x1 start (reads 1 until done), 0x2 direction
//            (0: RAM -> buffer, 1: buffer -> RAM), 0x4 raise interrupt
//            0x100 when done
// The DMA buffer is 4 KiB at device address 0x40000; the RAM side is a bus
// address checked against dma_mask. A transfer completes 100 ms of virtual
// time after the start, as in QEMU. Interrupts go out as MSI (one vector,
// 64-bit, the first capability at 0x40) when the guest enabled it, else on
// INTA.
//
// QEMU computes the factorial on a thread so that drivers must poll the
// status bit; here a bottom half does it on the main loop, after the guest's
// write returns, which keeps that contract without a thread. Where QEMU
// aborts on a bad DMA range (hw_error) the command is logged as a guest
// error and ignored.
#include <algorithm>
#include <array>
#include <memory>

#include "mimic/hw/msi.h"
#include "mimic/hw/pci.h"
#include "mimic/main_loop/bottom_half.h"
#include "mimic/main_loop/clock.h"
#include "mimic/main_loop/timer.h"
#include "mimic/memory/address_space.h"
#include "mimic/qom/property.h"
#include "mimic/util/log.h"

namespace mimic::hw {
namespace {

constexpr uint64_t kMmioSize = 1 << 20;
constexpr uint32_t kIdentification = 0x010000ed;

constexpr uint32_t kStatusComputing = 0x01;
constexpr uint32_t kStatusIrqFact = 0x80;
constexpr uint32_t kIrqFact = 0x001;
constexpr uint32_t kIrqDma = 0x100;

constexpr uint64_t kDmaRun = 0x1;
constexpr uint64_t kDmaToRam = 0x2;
constexpr uint64_t kDmaIrq = 0x4;
constexpr uint64_t kDmaBufferAddress = 0x40000;
constexpr uint64_t kDmaBufferSize = 4096;
constexpr int64_t kDmaDelayMs = 100;

constexpr uint64_t kDefaultDmaMask = (uint64_t{1} << 28) - 1;

// n! modulo 2^32. From 34 on the product holds 2^32 (34! has 32 factors of
// two), so the answer is 0: a guest's large n costs no long loop.
uint32_t factorial(uint32_t n) {
    if (n >= 34) return 0;
    uint32_t result = 1;
    for (uint32_t i = 2; i <= n; ++i) result *= i;
    return result;
}

class Edu : public PciDevice {
  public:
    uint64_t dma_mask_ = kDefaultDmaMask;

  protected:
    void pci_realize() override {
        set_ids({.vendor = 0x1234, .device = 0x11e8, .revision = 0x10, .class_code = 0x00ff00});
        set_interrupt_pin(1);
        msi_.init(*this, {.vectors = 1, .address64 = true, .per_vector_mask = false});
        dma_timer_ = std::make_unique<Timer>(
            Clock::kVirtual, [this] { dma_done(); }, kNsPerMs);
        factorial_bh_ = std::make_unique<BottomHalf>([this] { factorial_done(); });

        memory::MmioOps ops;
        ops.read = [this](uint64_t offset, unsigned size) { return mmio_read(offset, size); };
        ops.write = [this](uint64_t offset, uint64_t value, unsigned size) {
            mmio_write(offset, value, size);
        };
        ops.valid = {4, 8, false};
        ops.impl = {4, 8, false};
        mmio_.init_io("edu-mmio", kMmioSize, std::move(ops));
        register_bar(0, kBarMem32, mmio_);
    }

    void pci_unrealize() override {
        // Nothing may run on an unplugged device.
        dma_timer_.reset();
        factorial_bh_.reset();
    }

    // As QEMU's edu, which has no reset of its own: the registers keep their
    // values; MSI returns to disabled with the rest of config space.
    void pci_reset() override { msi_.reset(); }

    void config_written(uint8_t offset, uint32_t, unsigned size) override {
        msi_.config_written(offset, size);
    }

  private:
    uint64_t mmio_read(uint64_t offset, unsigned size) {
        if (offset < 0x80 && size != 4) return ~uint64_t{0};
        switch (offset) {
            case 0x00:
                return kIdentification;
            case 0x04:
                return liveness_;
            case 0x08:
                return factorial_;
            case 0x20:
                return status_;
            case 0x24:
                return irq_status_;
            case 0x80:
                return dma_src_;
            case 0x88:
                return dma_dst_;
            case 0x90:
                return dma_count_;
            case 0x98:
                return dma_cmd_;
            default:
                return ~uint64_t{0};
        }
    }

    void mmio_write(uint64_t offset, uint64_t value, unsigned size) {
        if (offset < 0x80 && size != 4) return;
        auto value32 = static_cast<uint32_t>(value);
        switch (offset) {
            case 0x04:
                liveness_ = ~value32;
                break;
            case 0x08:
                if (status_ & kStatusComputing) break;
                factorial_ = value32;
                status_ |= kStatusComputing;
                factorial_bh_->schedule();
                break;
            case 0x20:
                status_ = (status_ & ~kStatusIrqFact) | (value32 & kStatusIrqFact);
                break;
            case 0x60:
                raise_irq(value32);
                break;
            case 0x64:
                lower_irq(value32);
                break;
            // The transfer's parameters hold still while it runs.
            case 0x80:
                if (!(dma_cmd_ & kDmaRun)) dma_src_ = value;
                break;
            case 0x88:
                if (!(dma_cmd_ & kDmaRun)) dma_dst_ = value;
                break;
            case 0x90:
                if (!(dma_cmd_ & kDmaRun)) dma_count_ = value;
                break;
            case 0x98:
                if (!(value & kDmaRun) || (dma_cmd_ & kDmaRun)) break;
                dma_cmd_ = value;
                dma_timer_->mod(clock_get_ms(Clock::kVirtual) + kDmaDelayMs);
                break;
            default:
                break;
        }
    }

    void raise_irq(uint32_t bits) {
        irq_status_ |= bits;
        if (!irq_status_) return;
        if (msi_.enabled()) {
            msi_.notify(0);
        } else {
            set_irq(true);
        }
    }

    void lower_irq(uint32_t bits) {
        irq_status_ &= ~bits;
        if (!irq_status_ && !msi_.enabled()) set_irq(false);
    }

    void factorial_done() {
        factorial_ = factorial(factorial_);
        status_ &= ~kStatusComputing;
        if (status_ & kStatusIrqFact) raise_irq(kIrqFact);
    }

    void dma_done() {
        if (!(dma_cmd_ & kDmaRun)) return;
        bool done = transfer();
        dma_cmd_ &= ~kDmaRun;
        if (done && (dma_cmd_ & kDmaIrq)) raise_irq(kIrqDma);
    }

    // Moves dma_count_ bytes between the buffer and bus memory; false (and a
    // guest-error log line) for a command the device refuses.
    bool transfer() {
        bool to_ram = dma_cmd_ & kDmaToRam;
        uint64_t buffer_address = to_ram ? dma_src_ : dma_dst_;
        uint64_t bus_address = to_ram ? dma_dst_ : dma_src_;
        uint64_t count = dma_count_;
        // Written so that no sum can wrap: count is at most the buffer size
        // before it takes part in any arithmetic.
        if (count > kDmaBufferSize || buffer_address < kDmaBufferAddress ||
            buffer_address - kDmaBufferAddress > kDmaBufferSize - count) {
            MIMIC_LOG(log::kGuestErrors,
                      "edu: DMA of 0x{:x} bytes at buffer address 0x{:x} is outside the buffer "
                      "(0x{:x}-0x{:x}); ignored\n",
                      count, buffer_address, kDmaBufferAddress,
                      kDmaBufferAddress + kDmaBufferSize - 1);
            return false;
        }
        if (count == 0) return true;
        uint64_t bus_last = bus_address + count - 1;
        if ((bus_address & ~dma_mask_) || (bus_last & ~dma_mask_) || bus_last < bus_address) {
            MIMIC_LOG(log::kGuestErrors,
                      "edu: DMA of 0x{:x} bytes at bus address 0x{:x} is outside dma_mask 0x{:x}; "
                      "ignored\n",
                      count, bus_address, dma_mask_);
            return false;
        }
        memory::AddressSpace* space = bus_master_space();
        if (!(command() & kPciCommandMaster) || !space) {
            MIMIC_LOG(log::kGuestErrors, "edu: DMA with bus mastering disabled; ignored\n");
            return false;
        }
        uint8_t* buffer = dma_buffer_.data() + (buffer_address - kDmaBufferAddress);
        memory::AccessResult result;
        if (to_ram) {
            result = space->write(bus_address, buffer, count);
        } else {
            // Through a bounce buffer, so that a read nothing answers leaves
            // the device buffer as it was.
            std::array<uint8_t, kDmaBufferSize> bounce;
            result = space->read(bus_address, bounce.data(), count);
            if (result == memory::AccessResult::kOk) std::copy_n(bounce.begin(), count, buffer);
        }
        if (result != memory::AccessResult::kOk) {
            note_master_abort();
            MIMIC_LOG(log::kGuestErrors,
                      "edu: DMA of 0x{:x} bytes at bus address 0x{:x} failed (master abort)\n",
                      count, bus_address);
            return false;
        }
        return true;
    }

    Msi msi_;
    memory::MemoryRegion mmio_;
    std::unique_ptr<Timer> dma_timer_;
    std::unique_ptr<BottomHalf> factorial_bh_;
    std::array<uint8_t, kDmaBufferSize> dma_buffer_{};
    uint32_t liveness_ = 0;
    uint32_t factorial_ = 0;
    uint32_t status_ = 0;
    uint32_t irq_status_ = 0;
    uint64_t dma_src_ = 0;
    uint64_t dma_dst_ = 0;
    uint64_t dma_count_ = 0;
    uint64_t dma_cmd_ = 0;
};

// QEMU adds dma_mask as a plain QOM property in instance_init: help lists
// it without a default, `info qtree` does not show it.
qom::Property dma_mask_property() {
    qom::Property p = qom::prop::uint64("dma_mask", &Edu::dma_mask_, kDefaultDmaMask).plain_qom();
    p.in_qtree = false;
    return p;
}

}  // namespace

MIMIC_REGISTER_TYPE({
    .name = "edu",
    .parent = kTypePciDevice,
    .factory = qom::factory_of<Edu>(),
    .properties = {dma_mask_property()},
    .categories = {qom::DeviceCategory::kMisc},
});

}  // namespace mimic::hw
