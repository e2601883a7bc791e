#include "mimic/qom/bus.h"

#include <algorithm>
#include <cctype>
#include <map>

#include "mimic/qom/device.h"
#include "mimic/util/error.h"

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
    for (Device* device : devices) remove_device(*device);
    if (parent_device_) {
        auto& list = parent_device_->child_buses_;
        list.erase(std::remove(list.begin(), list.end(), this), list.end());
    }
}

void Bus::request_unplug(Device& device) {
    if (hotplug_handler_) {
        hotplug_handler_->unplug_request(device);
        return;
    }
    remove_device(device);
}

void Bus::remove_device(Device& device) {
    if (Object* owner = device.parent()) {
        owner->remove_child(device);
    } else {
        device.unrealize();
        device.leave_parent_bus();
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

namespace {

// A device on `bus` by id, then by type name (QEMU's order).
Device* find_device_on(const Bus& bus, std::string_view name) {
    for (Device* device : bus.devices()) {
        if (device->id() == name) return device;
    }
    for (Device* device : bus.devices()) {
        if (device->type_name() == name) return device;
    }
    return nullptr;
}

// Splits off the next non-empty path element.
std::string_view next_element(std::string_view& path) {
    while (!path.empty() && path.front() == '/') path.remove_prefix(1);
    size_t slash = path.find('/');
    std::string_view element = path.substr(0, slash);
    path.remove_prefix(element.size());
    return element;
}

}  // namespace

Bus& find_bus_by_path(Bus& root, std::string_view full_path) {
    std::string_view path = full_path;
    Bus* bus = &root;
    if (path.empty() || path.front() != '/') {
        std::string_view name = next_element(path);
        bus = find_bus_by_name(root, name);
        if (!bus) throw Error("Bus '{}' not found", name);
    }
    for (;;) {
        std::string_view device_name = next_element(path);
        if (device_name.empty()) break;
        Device* device = find_device_on(*bus, device_name);
        if (!device) throw Error("Device '{}' not found", device_name);
        std::string_view bus_name = next_element(path);
        if (bus_name.empty()) {
            // A path ending in a device means its bus, if it has just one.
            if (device->child_buses().size() == 1) {
                bus = device->child_buses().front();
                break;
            }
            if (device->child_buses().empty()) throw Error("Device '{}' has no child bus", device_name);
            throw Error("Device '{}' has multiple child buses", device_name);
        }
        bus = device->child_bus(bus_name);
        if (!bus) throw Error("Bus '{}' not found", bus_name);
    }
    if (bus->is_full()) throw Error("Bus '{}' is full", full_path);
    return *bus;
}

}  // namespace mimic::qom
