#include "mimic/qom/machine.h"

#include "mimic/qom/device.h"
#include "mimic/qom/standard_buses.h"

namespace mimic::qom {

MIMIC_REGISTER_TYPE({
    .name = kTypeMachine,
    .parent = kTypeObject,
    .abstract = true,
    .description = "machine",
});

Machine::Machine() {
    unattached_ = &add_child("unattached", new_object<Container>(kTypeContainer));
    peripheral_ = &add_child("peripheral", new_object<Container>(kTypeContainer));
    peripheral_anon_ = &add_child("peripheral-anon", new_object<Container>(kTypeContainer));
    std::unique_ptr<Bus> sysbus = new_object<Bus>(kTypeSystemBus);
    sysbus->init("main-system-bus", nullptr);
    sysbus_ = &unattached_->add_child("sysbus", std::move(sysbus));
}

Object& Machine::add_unattached(std::unique_ptr<Object> object) {
    return unattached_->add_child_indexed("device", std::move(object));
}

void Machine::system_reset() { reset_bus_tree(*sysbus_); }

void Machine::unplug_request(Device& device) { device.parent()->remove_child(device); }

Machine* Machine::of(const Object& object) {
    const Object* o = &object;
    while (o) {
        if (auto* machine = dynamic_cast<const Machine*>(o)) return const_cast<Machine*>(machine);
        if (o->parent()) {
            o = o->parent();
        } else if (auto* device = dynamic_cast<const Device*>(o)) {
            o = device->parent_bus();
        } else if (auto* bus = dynamic_cast<const Bus*>(o)) {
            o = bus->parent_device();
        } else {
            o = nullptr;
        }
    }
    return nullptr;
}

}  // namespace mimic::qom
