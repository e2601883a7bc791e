// Intel 82441FX PMC (i440FX): the PCI host bridge of the "pc" machine.
//
// Configuration mechanism #1: a dword write to 0xCF8 latches bus/devfn/
// register with bit 31 as the enable; accesses to 0xCFC-0xCFF then reach
// that register of that function, at any width and byte offset.
//
// PAM (0x59-0x5F): each nibble governs one segment of the 0xC0000-0xFFFFF
// shadow area (0x59's high nibble the 64 KiB F segment, then 16 KiB
// segments from 0xC0000): 0 = accesses go to PCI (where the BIOS image and
// option ROMs appear), 1 = reads from RAM, 2 = writes to RAM, 3 = RAM. As in
// QEMU, each segment is four aliases over system memory of which one is
// enabled, and modes 1 and 2 are approximated by read-only RAM and RAM.
//
// SMRAM (0x72): with D_OPEN clear, 0xA0000-0xBFFFF shows the PCI side (the
// VGA window); with it set, the RAM below.
#include "mimic/hw/i440fx.h"

#include <array>

#include "mimic/hw/machine.h"
#include "mimic/memory/transaction.h"
#include "mimic/util/error.h"
#include "mimic/util/log.h"

namespace mimic::hw {

MIMIC_REGISTER_TYPE({
    .name = kTypeI440fxHost,
    .parent = qom::kTypeSysBusDevice,
    .factory = qom::factory_of<I440fxHost>(),
    .description = "i440FX PCI host bridge",
});

I440fxHost::I440fxHost() { bus_ = &static_cast<qom::PciBus&>(add_bus(qom::kTypePciBus, "pci.0")); }

I440fxHost::~I440fxHost() { do_unrealize(); }

memory::MemoryRegion& I440fxHost::pci_io() { return Machine::of(*this)->io(); }
memory::AddressSpace& I440fxHost::dma_space() { return Machine::of(*this)->memory_space(); }

void I440fxHost::do_realize() {
    Machine* machine = Machine::of(*this);
    memory::Transaction transaction;
    // Whatever RAM and the chipset do not claim falls through to PCI.
    pci_memory_ = memory::MemoryRegion::make_container("pci", UINT64_MAX);
    machine->system_memory().add_subregion(0, *pci_memory_, -1);

    memory::MmioOps address_ops;
    // Only dword accesses reach CONFIG_ADDRESS; a byte access to 0xCF9 is
    // the south bridge's reset control register.
    address_ops.read = [this](uint64_t offset, unsigned size) -> uint64_t {
        if (size == 4) return config_address_;
        if (offset == 1 && size == 1 && reset_control_port().read) return reset_control_port().read();
        return 0xffffffffu;
    };
    address_ops.write = [this](uint64_t offset, uint64_t value, unsigned size) {
        if (offset == 0 && size == 4) {
            config_address_ = static_cast<uint32_t>(value);
        } else if (offset == 1 && size == 1 && reset_control_port().write) {
            reset_control_port().write(static_cast<uint8_t>(value));
        }
    };
    address_ops.valid = {1, 4, false};
    address_ops.impl = {1, 4, false};
    config_address_region_.init_io("pci-conf-idx", 4, std::move(address_ops));

    memory::MmioOps data_ops;
    auto target = [this](uint64_t offset, int& devfn, uint8_t& reg) {
        if (!(config_address_ & 0x80000000u) || ((config_address_ >> 16) & 0xff) != 0) return false;
        devfn = static_cast<int>((config_address_ >> 8) & 0xff);
        reg = static_cast<uint8_t>((config_address_ & 0xfc) | (offset & 3));
        return true;
    };
    data_ops.read = [this, target](uint64_t offset, unsigned size) -> uint64_t {
        int devfn;
        uint8_t reg;
        if (!target(offset, devfn, reg)) return 0xffffffffu;
        return config_read(devfn, reg, size);
    };
    data_ops.write = [this, target](uint64_t offset, uint64_t value, unsigned size) {
        int devfn;
        uint8_t reg;
        if (target(offset, devfn, reg)) config_write(devfn, reg, static_cast<uint32_t>(value), size);
    };
    data_ops.valid = {1, 4, false};
    data_ops.impl = {1, 4, false};
    config_data_region_.init_io("pci-conf-data", 4, std::move(data_ops));
    machine->io().add_subregion(0xcf8, config_address_region_);
    machine->io().add_subregion(0xcfc, config_data_region_);
}

void I440fxHost::do_unrealize() {
    memory::Transaction transaction;
    for (memory::MemoryRegion* region : {&config_address_region_, &config_data_region_, pci_memory_.get()}) {
        if (region && region->parent()) region->parent()->del_subregion(*region);
    }
}

namespace {

constexpr uint8_t kPam0 = 0x59;
constexpr int kPamSegments = 13;  // the F segment and twelve 16 KiB ones
constexpr uint8_t kSmram = 0x72;
constexpr uint8_t kSmramDOpen = 0x40;
constexpr uint8_t kSmramDLock = 0x10;
constexpr uint8_t kSmramGSmrame = 0x08;
constexpr uint8_t kSmramCBaseSeg = 0x02;  // hard-wired: SMRAM at 0xA0000

class I440fx : public PciDevice {
public:
    ~I440fx() override { unmap(); }

protected:
    void pci_realize() override {
        set_ids({.vendor = 0x8086, .device = 0x1237, .revision = 0x02, .class_code = 0x060000});
        set_interrupt_pin(0);
        auto* bridge = dynamic_cast<I440fxHost*>(host());
        if (!bridge || !bridge->ram()) throw Error("i440FX: must sit on an i440FX-pcihost bus with RAM");
        Machine* machine = Machine::of(*this);
        memory::MemoryRegion& ram = *bridge->ram();
        memory::MemoryRegion& pci = bridge->pci_memory();
        system_ = &machine->system_memory();

        memory::Transaction transaction;
        for (int segment = 0; segment < kPamSegments; ++segment) {
            uint64_t start = segment == 0 ? 0xf0000 : 0xc0000 + 0x4000 * (segment - 1);
            uint64_t size = segment == 0 ? 0x10000 : 0x4000;
            Pam& pam = pam_[static_cast<size_t>(segment)];
            pam.modes[0].init_alias("pam-pci", pci, start, size);
            pam.modes[1].init_alias("pam-rom", ram, start, size);
            pam.modes[1].set_readonly(true);
            pam.modes[2].init_alias("pam-ram", ram, start, size);
            pam.modes[3].init_alias("pam-ram", ram, start, size);
            for (auto& mode : pam.modes) {
                mode.set_enabled(false);
                system_->add_subregion(start, mode, 1);
            }
            pam.current = -1;
        }
        smram_window_.init_alias("smram-region", pci, 0xa0000, 0x20000);
        system_->add_subregion(0xa0000, smram_window_, 1);

        for (uint8_t reg = kPam0; reg < kPam0 + 7; ++reg) set_wmask_byte(reg, reg == kPam0 ? 0x30 : 0x33);
        set_wmask_byte(kSmram, kSmramDOpen | 0x20 | kSmramDLock | kSmramGSmrame);
        pci_reset();
    }

    void pci_unrealize() override { unmap(); }

    void pci_reset() override {
        for (uint8_t reg = kPam0; reg < kPam0 + 7; ++reg) set_byte(reg, 0);
        set_byte(kSmram, kSmramCBaseSeg);
        set_wmask_byte(kSmram, kSmramDOpen | 0x20 | kSmramDLock | kSmramGSmrame);
        update_memory();
    }

    void config_written(uint8_t offset, uint32_t, unsigned size) override {
        if (offset < kPam0 + 7 && offset + size > kPam0) update_memory();
        if (offset <= kSmram && offset + size > kSmram) {
            // D_LCK makes G_SMRAME, D_LCK itself and D_OPEN read-only until
            // reset: firmware locks SMRAM away from the OS this way.
            uint8_t value = get_byte(kSmram);
            if (value & kSmramDLock) {
                set_byte(kSmram, static_cast<uint8_t>(value & ~kSmramDOpen));
                set_wmask_byte(kSmram, 0x20);
            }
            update_memory();
        }
    }

private:
    struct Pam {
        std::array<memory::MemoryRegion, 4> modes;
        int current = -1;
    };

    int pam_mode(int segment) const {
        if (segment == 0) return (get_byte(kPam0) >> 4) & 3;
        int index = segment - 1;  // 0xC0000 + 16 KiB * index
        uint8_t reg = get_byte(static_cast<uint8_t>(kPam0 + 1 + index / 2));
        return (index & 1) ? (reg >> 4) & 3 : reg & 3;
    }

    void update_memory() {
        memory::Transaction transaction;
        for (int segment = 0; segment < kPamSegments; ++segment) {
            Pam& pam = pam_[static_cast<size_t>(segment)];
            int mode = pam_mode(segment);
            if (mode == pam.current) continue;
            if (pam.current >= 0) pam.modes[static_cast<size_t>(pam.current)].set_enabled(false);
            pam.modes[static_cast<size_t>(mode)].set_enabled(true);
            pam.current = mode;
        }
        smram_window_.set_enabled(!(get_byte(kSmram) & kSmramDOpen));
    }

    void unmap() {
        if (!system_) return;
        memory::Transaction transaction;
        for (Pam& pam : pam_) {
            for (auto& mode : pam.modes) {
                if (mode.parent()) mode.parent()->del_subregion(mode);
            }
        }
        if (smram_window_.parent()) smram_window_.parent()->del_subregion(smram_window_);
        system_ = nullptr;
    }

    memory::MemoryRegion* system_ = nullptr;
    std::array<Pam, kPamSegments> pam_;
    memory::MemoryRegion smram_window_;
};

}  // namespace

MIMIC_REGISTER_TYPE({
    .name = kTypeI440fx,
    .parent = kTypePciDevice,
    .factory = qom::factory_of<I440fx>(),
    .description = "Host bridge",
    .categories = {qom::DeviceCategory::kBridge},
    .user_creatable = false,
    .hotpluggable = false,  // as QEMU's: device_del refuses it
});

}  // namespace mimic::hw
