#include "mimic/qom/device_add.h"

#include <nlohmann/json.hpp>

#include <cctype>
#include <functional>
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

// A device_add request, whichever form it came in.
struct Request {
    std::optional<std::string> driver, bus, id;
    // Property name and how to set it, in the user's order.
    std::vector<std::pair<std::string, std::function<void(Device&)>>> properties;
};

Bus* choose_bus(Machine& machine, const Type& type, const std::optional<std::string>& bus_path) {
    const std::string& bus_type = type.bus_type();
    if (bus_path) {
        Bus& bus = find_bus_by_path(machine.sysbus(), *bus_path);
        if (!bus.accepts(bus_type)) {
            throw Error("Device '{}' can't go on {} bus", type.name(), bus.type_name());
        }
        return &bus;
    }
    if (bus_type.empty()) return nullptr;
    Bus* bus = find_bus_of_type(machine.sysbus(), bus_type);
    if (!bus || bus->is_full()) {
        throw Error("No '{}' bus found for device '{}'", bus_type, type.name());
    }
    return bus;
}

Device& add(Machine& machine, const Request& request) {
    if (!request.driver) throw Error("Parameter 'driver' is missing");
    const bool hotplug = machine.ready();
    const Type& type = user_device_type(*request.driver, hotplug);

    Bus* bus = choose_bus(machine, type, request.bus);
    if (hotplug && bus && !bus->hotpluggable()) {
        throw Error("Bus '{}' does not support hotplugging", bus->name());
    }

    const std::optional<std::string>& id = request.id;
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
        for (const auto& [name, set] : request.properties) set(device);
        device.set_hotplugged(hotplug);
        device.realize();
    } catch (...) {
        device.parent()->remove_child(device);
        throw;
    }
    return device;
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
    Request request;
    for (const auto& [key, value] : options) {
        // Later options override earlier ones, as QemuOpts lookups do.
        if (key == "driver") {
            request.driver = value;
        } else if (key == "bus") {
            request.bus = value;
        } else if (key == "id") {
            request.id = value;
        } else {
            request.properties.emplace_back(key, [key = key, value = value](Device& device) {
                device.parse_property(key, value);
            });
        }
    }
    return add(machine, request);
}

Device& device_add(Machine& machine, const nlohmann::json& arguments) {
    Request request;
    auto string_of = [](const std::string& key, const nlohmann::json& value) {
        if (!value.is_string()) {
            throw Error("Invalid parameter type for '{}', expected: string", key);
        }
        return value.get<std::string>();
    };
    for (const auto& [key, value] : arguments.items()) {
        if (key == "driver") {
            request.driver = string_of(key, value);
        } else if (key == "bus") {
            request.bus = string_of(key, value);
        } else if (key == "id") {
            request.id = string_of(key, value);
        } else {
            // QEMU 7.2 passes QMP's arguments through QemuOpts, so a string
            // is parsed as on the command line ("membar": "4096").
            request.properties.emplace_back(key, [key = key, value = value](Device& device) {
                if (value.is_string()) device.parse_property(key, value.get<std::string>());
                else device.set_property(key, value);
            });
        }
    }
    return add(machine, request);
}

void device_del(Machine& machine, std::string_view id) {
    Object* object = machine.peripheral().resolve_path(id);
    if (!object) throw Error("Device '{}' not found", id);
    auto* device = dynamic_cast<Device*>(object);
    if (!device) throw Error("{} is not a hotpluggable device", id);
    Bus* bus = device->parent_bus();
    if (bus && !bus->hotpluggable()) {
        throw Error("Bus '{}' does not support hotplugging", bus->name());
    }
    if (!device->type().hotpluggable()) {
        throw Error("Device '{}' does not support hotplugging", device->type_name());
    }
    if (bus) {
        bus->request_unplug(*device);
    } else {
        machine.unplug_request(*device);
    }
}

}  // namespace mimic::qom
