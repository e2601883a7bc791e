#include "mimic/qom/device_add.h"

#include <cctype>
#include <optional>

#include "mimic/qom/bus.h"
#include "mimic/qom/device.h"
#include "mimic/qom/machine.h"
#include "mimic/util/error.h"

namespace mimic::qom {
namespace {

// QEMU's id rule: a letter, then letters, digits, '-', '.', '_'.
bool id_wellformed(std::string_view id) {
    if (id.empty() || !std::isalpha(static_cast<unsigned char>(id[0]))) return false;
    for (char c : id.substr(1)) {
        if (!std::isalnum(static_cast<unsigned char>(c)) && c != '-' && c != '.' && c != '_') {
            return false;
        }
    }
    return true;
}

// The last value given for `key` (later options override earlier ones).
std::optional<std::string> option(const DeviceOptions& options, std::string_view key) {
    std::optional<std::string> value;
    for (const auto& [k, v] : options) {
        if (k == key) value = v;
    }
    return value;
}

Bus* choose_bus(Machine& machine, const Type& type, const std::optional<std::string>& bus_name) {
    const std::string& bus_type = type.bus_type();
    if (bus_name) {
        Bus* bus = find_bus_by_name(machine.sysbus(), *bus_name);
        if (!bus) throw Error("Bus '{}' not found", *bus_name);
        if (!bus->accepts(bus_type)) {
            throw Error("Device '{}' can't go on {} bus", type.name(), bus->type_name());
        }
        if (bus->is_full()) throw Error("Bus '{}' is full", *bus_name);
        return bus;
    }
    if (bus_type.empty()) return nullptr;
    Bus* bus = find_bus_of_type(machine.sysbus(), bus_type);
    if (!bus || bus->is_full()) {
        throw Error("No '{}' bus found for device '{}'", bus_type, type.name());
    }
    return bus;
}

}  // namespace

const Type& user_device_type(std::string_view driver, bool hotplug) {
    const Type* type = TypeRegistry::instance().find(driver, /*with_alias=*/true);
    if (!type || !type->is_a(kTypeDevice)) {
        throw Error("'{}' is not a valid device model name", driver);
    }
    if (type->is_abstract()) throw Error("Parameter 'driver' expects a non-abstract device type");
    if (!type->user_creatable() || (hotplug && !type->hotpluggable())) {
        throw Error("Parameter 'driver' expects a pluggable device type");
    }
    return *type;
}

Device& device_add(Machine& machine, const DeviceOptions& options) {
    std::optional<std::string> driver = option(options, "driver");
    if (!driver) throw Error("Parameter 'driver' is missing");
    const bool hotplug = machine.ready();
    const Type& type = user_device_type(*driver, hotplug);

    Bus* bus = choose_bus(machine, type, option(options, "bus"));
    if (hotplug && bus && !bus->hotpluggable()) {
        throw Error("Bus '{}' does not support hotplugging", bus->name());
    }

    std::optional<std::string> id = option(options, "id");
    if (id) {
        if (!id_wellformed(*id)) throw Error("Parameter 'id' expects an identifier");
        if (machine.peripheral().child(*id)) throw Error("Duplicate ID '{}' for device", *id);
    }

    // From here on the device exists; any error destroys it again.
    std::unique_ptr<Device> created = new_object<Device>(type.name());
    if (bus) created->set_parent_bus(*bus);
    if (id) created->set_id(*id);
    Object& placed = id ? machine.peripheral().add_child(*id, std::move(created))
                        : machine.peripheral_anon().add_child_indexed("device", std::move(created));
    Device& device = static_cast<Device&>(placed);
    try {
        for (const auto& [key, value] : options) {
            if (key == "driver" || key == "bus" || key == "id") continue;
            device.parse_property(key, value);
        }
        device.set_hotplugged(hotplug);
        device.realize();
    } catch (...) {
        device.parent()->remove_child(device);
        throw;
    }
    return device;
}

}  // namespace mimic::qom
