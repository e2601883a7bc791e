// Buses: the attachment points of devices, owned (as composition children)
// by the device that provides them or by the machine ("main-system-bus").
//
// A device type names the bus type it plugs into (TypeInfo::bus_type); a
// bus accepts devices whose bus type it is_a. Devices are listed newest
// first, as QEMU keeps them, which is the order of `info qtree` and reset.
//
// Bus types registered here: "bus" (abstract base), "System", "ISA" and
// "PCI" (see standard_buses.h); IDE, USB, ... subclass Bus elsewhere.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "mimic/qom/object.h"

namespace mimic::qom {

class Device;

inline constexpr const char* kTypeBus = "bus";

// The board part that handles hot-plug on a bus, as QEMU's HotplugHandler:
// ACPI PCI hotplug (PIIX4_PM) for the pc machine's pci.0. A bus with a
// handler is hot-pluggable.
class HotplugHandler {
public:
    virtual ~HotplugHandler() = default;
    // After `device` was realized on the bus, from -device or device_add
    // (Device::hotplugged tells which). Tells the guest of a hot-plugged one.
    virtual void plugged(Device& device) = 0;
    // device_del: asks the guest to give `device` up; the handler removes
    // it once the guest agrees. May throw mimic::Error.
    virtual void unplug_request(Device& device) = 0;
};

class Bus : public Object {
public:
    // The bus's name: "pci.0", "main-system-bus" (also its child name).
    const std::string& name() const { return name_; }
    // The providing device; nullptr for a bus owned by the machine.
    Device* parent_device() const { return parent_device_; }

    // Newest first.
    const std::vector<Device*>& devices() const { return devices_; }

    // No room for another device (selection skips full buses; bus= on a
    // full one is "Bus 'ide.0' is full").
    virtual bool is_full() const;
    // May devices be added after the machine is ready? Off until the board
    // gives the bus a hotplug handler (or a test switches it on).
    bool hotpluggable() const { return hotpluggable_ || hotplug_handler_; }
    void set_hotpluggable(bool value) { hotpluggable_ = value; }
    HotplugHandler* hotplug_handler() const { return hotplug_handler_; }
    // nullptr removes it. The handler must outlive the bus or remove itself.
    void set_hotplug_handler(HotplugHandler* handler) { hotplug_handler_ = handler; }
    // 0 = unlimited.
    void set_max_devices(size_t max) { max_devices_ = max; }

    // Does a device declaring `bus_type` fit here?
    bool accepts(std::string_view bus_type) const { return !bus_type.empty() && is_a(bus_type); }

    // Called by Device::realize before the device's own realize: assign a
    // slot, check the address... May throw mimic::Error; then nothing changed.
    virtual void plug(Device& device) { (void)device; }
    // Undoes plug (unrealize, or realize failing later).
    virtual void unplug(Device& device) { (void)device; }
    // device_del: the hotplug handler's unplug_request when there is one
    // (the guest is asked first), else the device goes at once (unrealize,
    // leave, destroy).
    virtual void request_unplug(Device& device);
    // Removes the device now: unrealize, leave the bus, destroy.
    static void remove_device(Device& device);
    // Extra `info qtree` lines for a device on this bus (PCI: class, BARs),
    // each prefixed by `indent` spaces and ending in '\n'.
    virtual void print_device(const Device& device, int indent, std::string& out) const {
        (void)device, (void)indent, (void)out;
    }
    // The bus's own state, after its devices (see reset_bus_tree).
    virtual void reset() {}

    // Names buses created without one (see Device::add_bus). Counters are
    // per bus type and process-wide, as QEMU's; tests reset them.
    static std::string automatic_name(std::string_view bus_type);
    static void reset_automatic_names();

protected:
    void on_unparent() override;

private:
    friend class Device;
    friend class Machine;
    void init(std::string name, Device* parent_device);

    std::string name_;
    Device* parent_device_ = nullptr;
    std::vector<Device*> devices_;
    size_t max_devices_ = 0;
    bool hotpluggable_ = false;  // as QEMU: only with a hotplug controller
    HotplugHandler* hotplug_handler_ = nullptr;
};

// Resets the tree below `bus` children first, as QEMU's legacy reset does:
// for each device on the bus (newest first), the buses it provides are
// reset recursively, then the device itself; the bus's own reset() comes
// last. Unrealized devices are skipped.
void reset_bus_tree(Bus& bus);

// The first bus of `bus_type` with room, depth first from `root` (a full
// match is returned only if no non-full one exists, so the caller can tell
// "no bus" from "full"); nullptr when there is none at all.
Bus* find_bus_of_type(Bus& root, std::string_view bus_type);
// The bus called `name` anywhere below `root` (root included).
Bus* find_bus_by_name(Bus& root, std::string_view name);

// The bus a -device bus= option names, as QEMU resolves it: "pci.0" (a bus
// name anywhere), optionally followed by "/DEV/BUS" steps, or an absolute
// "/DEV/BUS/..." from `root`. DEV matches a device's id, then its type
// name; a path ending in a device means its only bus. Throws mimic::Error:
//   "Bus 'x' not found", "Device 'x' not found",
//   "Device 'x' has no child bus", "Device 'x' has multiple child buses",
//   "Bus 'PATH' is full"
Bus& find_bus_by_path(Bus& root, std::string_view path);

}  // namespace mimic::qom
