// The PC host bridge's system-bus side (see pc_pci_host.h).
#include "mimic/hw/pc_pci_host.h"

#include "mimic/hw/machine.h"
#include "mimic/memory/transaction.h"

namespace mimic::hw {

PcPciHost::PcPciHost(const char* bus_type, const char* bus_name) {
    bus_ = &static_cast<qom::PciBus&>(add_bus(bus_type, bus_name));
}

PcPciHost::~PcPciHost() { PcPciHost::do_unrealize(); }

memory::MemoryRegion& PcPciHost::pci_io() { return Machine::of(*this)->io(); }
memory::AddressSpace& PcPciHost::dma_space() { return Machine::of(*this)->memory_space(); }

void PcPciHost::do_realize() {
    Machine* machine = Machine::of(*this);
    memory::Transaction transaction;
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
        // As QEMU: the address register's low bits, reserved for type 0
        // cycles, still select bytes (kvm-unit-tests reads the device ID
        // with CONFIG_ADDRESS ending in 2).
        reg = static_cast<uint8_t>((config_address_ & 0xff) | (offset & 3));
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

void PcPciHost::do_unrealize() {
    memory::Transaction transaction;
    for (memory::MemoryRegion* region : {&config_address_region_, &config_data_region_, pci_memory_.get()}) {
        if (region && region->parent()) region->parent()->del_subregion(*region);
    }
}

}  // namespace mimic::hw
