#include "mimic/qom/bus.h"

#include <algorithm>
#include <cctype>
#include <map>

#include "mimic/qom/device.h"

namespace mimic::qom {

MIMIC_REGISTER_TYPE({
    .name = kTypeBus,
    .parent = kTypeObject,
    .abstract = true,
});

namespace {

std::map<std::string, int, std::less<>>& automatic_ids() {
    static std::map<std::string, int, std::less<>> ids;
    return ids;
}

}  // namespace

std::string Bus::automatic_name(std::string_view bus_type) {
    std::string name(bus_type);
    std::transform(name.begin(), name.end(), name.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    int& next = automatic_ids()[std::string(bus_type)];
    return name + "." + std::to_string(next++);
}

void Bus::reset_automatic_names() { automatic_ids().clear(); }

void Bus::init(std::string name, Device* parent_device) {
    name_ = std::move(name);
    parent_device_ = parent_device;
}

bool Bus::is_full() const { return max_devices_ && devices_.size() >= max_devices_; }

// A bus going away takes its devices with it (QEMU unplugs them), even
// though they are owned elsewhere in the tree (/machine/peripheral).
void Bus::on_unparent() {
    std::vector<Device*> devices = devices_;
    for (Device* device : devices) {
        if (Object* owner = device->parent()) {
            owner->remove_child(*device);
        } else {
            device->unrealize();
            device->leave_parent_bus();
        }
    }
    if (parent_device_) {
        auto& list = parent_device_->child_buses_;
        list.erase(std::remove(list.begin(), list.end(), this), list.end());
    }
}

void reset_bus_tree(Bus& bus) {
    for (Device* device : bus.devices()) {
        if (!device->realized()) continue;
        for (Bus* child : device->child_buses()) reset_bus_tree(*child);
        device->reset();
    }
    bus.reset();
}

Bus* find_bus_of_type(Bus& root, std::string_view bus_type) {
    Bus* full_match = nullptr;
    if (root.accepts(bus_type)) {
        if (!root.is_full()) return &root;
        full_match = &root;
    }
    for (Device* device : root.devices()) {
        for (Bus* child : device->child_buses()) {
            Bus* found = find_bus_of_type(*child, bus_type);
            if (found && !found->is_full()) return found;
            if (found && !full_match) full_match = found;
        }
    }
    return full_match;
}

Bus* find_bus_by_name(Bus& root, std::string_view name) {
    if (root.name() == name) return &root;
    for (Device* device : root.devices()) {
        for (Bus* child : device->child_buses()) {
            if (Bus* found = find_bus_by_name(*child, name)) return found;
        }
    }
    return nullptr;
}

}  // namespace mimic::qom
