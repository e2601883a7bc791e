#include "mimic/qom/device.h"

#include <nlohmann/json.hpp>

#include <algorithm>

#include "mimic/qom/bus.h"
#include "mimic/qom/global_properties.h"
#include "mimic/util/error.h"

namespace mimic::qom {

MIMIC_REGISTER_TYPE({
    .name = kTypeDevice,
    .parent = kTypeObject,
    .abstract = true,
});

// The derived parts are gone, so nothing of theirs can run: devices removed
// through their parent were already unrealized in on_unparent(); a device
// simply deleted is not unrealized. Its buses go here rather than in
// ~Object, while this Device's members (child_buses_) still exist.
Device::~Device() {
    destroy_children();
    leave_parent_bus();
}

void Device::set_parent_bus(Bus& bus) {
    if (realized_) throw std::logic_error("qom: moving a realized device to another bus");
    leave_parent_bus();
    bus.devices_.insert(bus.devices_.begin(), this);  // newest first, as QEMU
    parent_bus_ = &bus;
}

void Device::leave_parent_bus() {
    if (!parent_bus_) return;
    auto& list = parent_bus_->devices_;
    list.erase(std::remove(list.begin(), list.end(), this), list.end());
    parent_bus_ = nullptr;
}

Bus* Device::child_bus(std::string_view name) const {
    for (Bus* bus : child_buses_) {
        if (bus->name() == name) return bus;
    }
    return nullptr;
}

Bus& Device::add_bus(std::string_view bus_type, std::string name) {
    std::unique_ptr<Bus> bus = new_object<Bus>(bus_type);
    if (name.empty()) {
        name = id_.empty() ? Bus::automatic_name(bus_type)
                           : fmt::format("{}.{}", id_, child_buses_.size());
    }
    bus->init(name, this);
    Bus& ref = add_child(std::move(name), std::move(bus));
    child_buses_.push_back(&ref);
    return ref;
}

void Device::realize() {
    if (realized_) return;
    if (!type().bus_type().empty() && !parent_bus_) {
        throw std::logic_error("qom: realizing " + type_name() + " without a bus");
    }
    if (parent_bus_) parent_bus_->plug(*this);
    const size_t buses_before = child_buses_.size();
    try {
        do_realize();
    } catch (...) {
        // Buses the failed realize created go too (with anything on them).
        while (child_buses_.size() > buses_before) remove_child(*child_buses_.back());
        if (parent_bus_) parent_bus_->unplug(*this);
        throw;
    }
    realized_ = true;
    if (parent_bus_ && parent_bus_->hotplug_handler()) parent_bus_->hotplug_handler()->plugged(*this);
}

void Device::unrealize() {
    if (!realized_) return;
    for (Bus* bus : child_buses_) {
        for (Device* device : bus->devices()) device->unrealize();
    }
    do_unrealize();
    realized_ = false;
    if (parent_bus_) parent_bus_->unplug(*this);
}

void Device::check_writable(const Property& property) const {
    if (!realized_ || property.settable_after_realize) return;
    if (id_.empty()) {
        throw Error("Attempt to set property '{}' on anonymous device (type '{}') after it was realized",
                    property.name, type_name());
    }
    throw Error("Attempt to set property '{}' on device '{}' (type '{}') after it was realized",
                property.name, id_, type_name());
}

void Device::list_builtin_properties(std::vector<PropertyListing>& out) const {
    Object::list_builtin_properties(out);
    out.push_back({"realized", "bool"});
    out.push_back({"hotplugged", "bool"});
    out.push_back({"hotpluggable", "bool"});
    out.push_back({"parent_bus", "link<bus>"});
}

bool Device::get_builtin_property(std::string_view name, nlohmann::json& value) const {
    if (name == "realized") {
        value = realized_;
    } else if (name == "hotplugged") {
        value = hotplugged_;
    } else if (name == "hotpluggable") {
        value = type().hotpluggable();
    } else if (name == "parent_bus") {
        // A link reads as the target's canonical path ("" when none).
        value = parent_bus_ ? parent_bus_->canonical_path() : std::string();
    } else {
        return Object::get_builtin_property(name, value);
    }
    return true;
}

void Device::post_init() { GlobalProperties::instance().apply(*this); }

void Device::on_unparent() {
    unrealize();
    // The buses go now, while this device is whole, taking their devices.
    destroy_children();
    child_buses_.clear();
    leave_parent_bus();
}

}  // namespace mimic::qom
