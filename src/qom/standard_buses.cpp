#include "mimic/qom/standard_buses.h"

#include <nlohmann/json.hpp>

#include "mimic/util/error.h"

namespace mimic::qom {

MIMIC_REGISTER_TYPE({
    .name = kTypeSystemBus,
    .parent = kTypeBus,
    .factory = factory_of<SystemBus>(),
});

// Board devices: placed by the machine, never by -device.
MIMIC_REGISTER_TYPE({
    .name = kTypeSysBusDevice,
    .parent = kTypeDevice,
    .abstract = true,
    .bus_type = kTypeSystemBus,
    .user_creatable = false,
    .hotpluggable = false,
});

MIMIC_REGISTER_TYPE({
    .name = kTypeIsaBus,
    .parent = kTypeBus,
    .factory = factory_of<IsaBus>(),
});

MIMIC_REGISTER_TYPE({
    .name = kTypeIsaDevice,
    .parent = kTypeDevice,
    .abstract = true,
    .bus_type = kTypeIsaBus,
});

MIMIC_REGISTER_TYPE({
    .name = kTypePciBus,
    .parent = kTypeBus,
    .factory = factory_of<PciBus>(),
});

MIMIC_REGISTER_TYPE({
    .name = kTypePcieBus,
    .parent = kTypePciBus,
    .factory = factory_of<PciBus>(),
});

namespace {

// The devfn property, if the device has one.
const Property* addr_property(const Device& device) {
    const Property* p = device.find_property("addr");
    return p && p->type == pci_devfn_type() ? p : nullptr;
}

}  // namespace

void PciBus::plug(Device& device) {
    const Property* addr = addr_property(device);
    int devfn = addr ? device.get_property("addr").get<int>() : -1;
    if (devfn < 0) {
        for (int candidate = 0; candidate < 256; candidate += 8) {
            if (!slots_[static_cast<size_t>(candidate)]) {
                devfn = candidate;
                break;
            }
        }
        if (devfn < 0) {
            throw Error("PCI: no slot/function available for {}, all in use or reserved",
                        device.type_name());
        }
        if (addr) device.set_property("addr", nlohmann::json(devfn));
        auto_assigned_[static_cast<size_t>(devfn)] = true;
    } else if (Device* other = slots_[static_cast<size_t>(devfn)]) {
        // QEMU prints a missing id as C's "(null)".
        throw Error("PCI: slot {} function {} not available for {}, in use by {},id={}",
                    devfn >> 3, devfn & 7, device.type_name(), other->type_name(),
                    other->id().empty() ? "(null)" : other->id());
    } else if (Device* function0 = slots_[static_cast<size_t>(devfn & ~7)]; function0 && device.hotplugged()) {
        // The guest scans a slot once, at function 0: a function added to
        // a populated slot would never be seen.
        throw Error("PCI: slot {} function 0 already occupied by {}, new func {} cannot be exposed to guest.",
                    devfn >> 3, function0->type_name(), device.type_name());
    }
    slots_[static_cast<size_t>(devfn)] = &device;
}

void PciBus::unplug(Device& device) {
    for (size_t devfn = 0; devfn < slots_.size(); ++devfn) {
        if (slots_[devfn] != &device) continue;
        slots_[devfn] = nullptr;
        // A slot the bus chose is given back, so a failed realize or a
        // replug leaves the property as the user set it.
        if (auto_assigned_[devfn] && addr_property(device) && !device.realized()) {
            device.set_property("addr", nlohmann::json(-1));
        }
        auto_assigned_[devfn] = false;
    }
}

}  // namespace mimic::qom
