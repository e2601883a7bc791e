// The system-bus side of a PC's PCI host bridge, which the i440FX and the
// Q35 share: configuration mechanism #1 (a dword write to CONFIG_ADDRESS
// 0xCF8 latches bus/devfn/register with bit 31 as the enable; accesses to
// CONFIG_DATA 0xCFC-0xCFF then reach that register of that function, at any
// width and byte offset), the "pci" memory window under system memory that
// whatever RAM and the chipset leave unclaimed falls through to, and the
// root bus.
#pragma once

#include <memory>

#include "mimic/hw/pci.h"
#include "mimic/memory/memory_region.h"

namespace mimic::hw {

class PcPciHost : public qom::SysBusDevice, public PciHost {
public:
    ~PcPciHost() override;

    // The board's guest RAM ("pc.ram"), which the host bridge's PAM and
    // SMRAM registers expose below 1 MiB. Set before realize.
    void set_ram(memory::MemoryRegion& ram) { ram_ = &ram; }
    memory::MemoryRegion* ram() const { return ram_; }

    memory::MemoryRegion& pci_memory() override { return *pci_memory_; }
    memory::MemoryRegion& pci_io() override;
    memory::AddressSpace& dma_space() override;
    qom::PciBus& bus() override { return *bus_; }

    uint32_t config_address() const { return config_address_; }

protected:
    PcPciHost(const char* bus_type, const char* bus_name);

    void do_realize() override;
    void do_unrealize() override;
    void do_reset() override { config_address_ = 0; }

private:
    qom::PciBus* bus_ = nullptr;
    memory::MemoryRegion* ram_ = nullptr;
    std::unique_ptr<memory::MemoryRegion> pci_memory_;
    memory::MemoryRegion config_address_region_, config_data_region_;
    uint32_t config_address_ = 0;
};

}  // namespace mimic::hw
