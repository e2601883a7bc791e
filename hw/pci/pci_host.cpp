// The parts of a PCI host bridge every bridge shares: turning configuration
// cycles into calls on the addressed function, and wired-OR interrupt lines.
#include "mimic/hw/pci.h"

namespace mimic::hw {

namespace {

PciDevice* function_at(qom::PciBus& bus, int devfn) {
    auto* device = dynamic_cast<PciDevice*>(bus.device_at(devfn));
    return device && device->realized() ? device : nullptr;
}

}  // namespace

uint32_t PciHost::config_read(int devfn, uint8_t offset, unsigned size) {
    PciDevice* device = function_at(bus(), devfn);
    // An absent function does not claim the cycle: the master aborts and the
    // bridge returns all ones, which is how firmware enumerates.
    if (!device) return size == 4 ? 0xffffffffu : (1u << (8 * size)) - 1;
    return device->config_read(offset, size);
}

void PciHost::config_write(int devfn, uint8_t offset, uint32_t value, unsigned size) {
    if (PciDevice* device = function_at(bus(), devfn)) device->config_write(offset, value, size);
}

bool PciHost::pirq_level(int pirq) const {
    return pirq >= 0 && pirq < static_cast<int>(pirq_count_.size()) && pirq_count_[static_cast<size_t>(pirq)] > 0;
}

void PciHost::device_irq_changed(PciDevice& device, int pin, bool level) {
    if (!routing_.map_irq) return;
    int pirq = routing_.map_irq(device.devfn(), pin);
    if (pirq < 0 || pirq >= routing_.pirq_count || pirq >= static_cast<int>(pirq_count_.size())) return;
    int& count = pirq_count_[static_cast<size_t>(pirq)];
    bool before = count > 0;
    count += level ? 1 : -1;
    if (count < 0) count = 0;
    if ((count > 0) != before && routing_.set_irq) routing_.set_irq(pirq, count > 0);
}

void PciHost::set_iommu(PciIommu* iommu) {
    iommu_ = iommu;
    for (qom::Device* device : bus().devices()) {
        if (auto* function = dynamic_cast<PciDevice*>(device); function && function->realized())
            function->bus_master_space_changed();
    }
}

void PciHost::reroute_irqs() {
    pirq_count_.fill(0);
    if (!routing_.map_irq) return;
    for (qom::Device* device : bus().devices()) {
        auto* function = dynamic_cast<PciDevice*>(device);
        if (!function || !function->irq_asserted_) continue;
        int pin = function->get_byte(pci_config::kInterruptPin);
        if (pin < 1 || pin > 4) continue;
        int pirq = routing_.map_irq(function->devfn(), pin - 1);
        if (pirq >= 0 && pirq < routing_.pirq_count && pirq < static_cast<int>(pirq_count_.size()))
            ++pirq_count_[static_cast<size_t>(pirq)];
    }
}

}  // namespace mimic::hw
