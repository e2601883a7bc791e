// Creating a device from user options: -device and the monitor's device_add.
#pragma once

#include <nlohmann/json_fwd.hpp>

#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace mimic::qom {

class Device;
class Machine;
class Type;

// One -device option list in the user's order, "driver" included, e.g.
// {{"driver","e1000"},{"netdev","n0"},{"mac","52:54:00:12:34:56"}}.
// The CLI's QemuOpts parser produces it; "help" is handled by the caller
// (device_help.h).
using DeviceOptions = std::vector<std::pair<std::string, std::string>>;

// The type `driver` names if users may create it now. Throws mimic::Error:
//   "'bogus' is not a valid device model name"
//   "Parameter 'driver' expects a non-abstract device type"
//   "Parameter 'driver' expects a pluggable device type"
const Type& user_device_type(std::string_view driver, bool hotplug);

// Creates, configures, places and realizes the device, in QEMU's order:
// type check, bus choice (bus= as find_bus_by_path reads it, or the first
// bus of the type with room),
// creation (-global applied), id, properties, realize. The device ends up
// at /machine/peripheral/<id> or /machine/peripheral-anon/device[N]. On
// any error it is destroyed and the machine is as before. Errors include
//   "Parameter 'driver' is missing", "Bus 'pci.9' not found",
//   "Bus 'ide.0' is full", "Device 'e1000' can't go on ISA bus",
//   "No 'PCI' bus found for device 'e1000'",
//   "Bus 'pci.0' does not support hotplugging",
//   "Parameter 'id' expects an identifier", "Duplicate ID 'net0' for device",
//   and every property error.
Device& device_add(Machine& machine, const DeviceOptions& options);

// The same from typed arguments, as QMP device_add and -device '{"driver":...}'
// pass them: {"driver": "e1000", "id": "net0", "speed": 100}. driver, bus
// and id must be strings; properties are set with Object::set_property
// (so JSON kinds must match: "Invalid parameter type for 'speed', expected: integer").
Device& device_add(Machine& machine, const nlohmann::json& arguments);

// device_del: the device with this id (or absolute path). Asks its bus to
// unplug it (Bus::request_unplug: immediate unless the bus waits for the
// guest). Throws mimic::Error:
//   "Device 'x' not found", "x is not a hotpluggable device",
//   "Bus 'pci.0' does not support hotplugging",
//   "Device 'e1000' does not support hotplugging"
void device_del(Machine& machine, std::string_view id);

}  // namespace mimic::qom
