// The i440FX host bridge: "i440FX-pcihost" (the system-bus side: CONFIG_ADDRESS
// 0xCF8 / CONFIG_DATA 0xCFC, the "pci" memory window under system memory and
// bus pci.0) and "i440FX" (its PCI function 00.0, whose PAM and SMRAM
// registers steer the legacy 0xA0000-0xFFFFF range between RAM and PCI).
#pragma once

#include <memory>

#include "mimic/hw/pci.h"
#include "mimic/memory/memory_region.h"

namespace mimic::hw {

inline constexpr const char* kTypeI440fxHost = "i440FX-pcihost";
inline constexpr const char* kTypeI440fx = "i440FX";

class I440fxHost : public qom::SysBusDevice, public PciHost {
public:
    I440fxHost();
    ~I440fxHost() override;

    // The board's guest RAM ("pc.ram"), which PAM and SMRAM expose below
    // 1 MiB. Set before realize.
    void set_ram(memory::MemoryRegion& ram) { ram_ = &ram; }
    memory::MemoryRegion* ram() const { return ram_; }

    memory::MemoryRegion& pci_memory() override { return *pci_memory_; }
    memory::MemoryRegion& pci_io() override;
    memory::AddressSpace& dma_space() override;
    qom::PciBus& bus() override { return *bus_; }

    uint32_t config_address() const { return config_address_; }

protected:
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
