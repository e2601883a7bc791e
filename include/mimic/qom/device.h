// Devices: objects with a realize/unrealize/reset lifecycle that plug into a
// bus and may own buses of their own.
//
// Lifecycle:
//   new_object("e1000")      defaults, then -global values (post_init)
//   set_property(...)        user values
//   set_parent_bus(bus)      joins the bus (not yet checked for slots)
//   realize()                bus plug (slot assignment), then do_realize();
//                            if either throws, everything done is undone and
//                            the device is as before: unrealized, on no slot
//   reset()                  do_reset(); the whole tree: reset_bus_tree()
//   unrealize()              devices on its buses first, then itself
//   parent->remove_child()   unrealize, buses (and their devices) removed,
//                            off its bus, destroyed. Plain deletion of a
//                            device outside the tree skips unrealize.
//
// After realize, properties are read-only unless declared after_realize():
// "Attempt to set property 'mac' on device 'net0' (type 'e1000') after it was realized".
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "mimic/qom/object.h"

namespace mimic::qom {

class Bus;

inline constexpr const char* kTypeDevice = "device";

class Device : public Object {
public:
    ~Device() override;

    // The -device id= ("" when none).
    const std::string& id() const { return id_; }
    void set_id(std::string id) { id_ = std::move(id); }

    Bus* parent_bus() const { return parent_bus_; }
    // Joins `bus` (leaving the previous one). Must be unrealized.
    void set_parent_bus(Bus& bus);
    void leave_parent_bus();

    // Buses this device provides, in creation order.
    const std::vector<Bus*>& child_buses() const { return child_buses_; }
    Bus* child_bus(std::string_view name) const;

    bool realized() const { return realized_; }
    // Throws mimic::Error; on failure the device is left unrealized and unplugged.
    void realize();
    void unrealize();
    // This device only (the tree: reset_bus_tree in bus.h).
    void reset() { do_reset(); }

    // Created by device_add at run time (device_add in the monitor, not -device).
    bool hotplugged() const { return hotplugged_; }
    void set_hotplugged(bool value) { hotplugged_ = value; }

protected:
    // Creates a child bus of `bus_type` owned by this device. An empty name
    // is chosen as QEMU does: "<id>.<n>" if the device has an id, else
    // "<lower-case bus type>.<n>" counted per bus type ("pci.0", "ide.1").
    Bus& add_bus(std::string_view bus_type, std::string name = {});

    // The device's own work. do_realize may throw mimic::Error and must then
    // leave nothing behind.
    virtual void do_realize() {}
    virtual void do_unrealize() {}
    virtual void do_reset() {}

    void check_writable(const Property& property) const override;
    void list_builtin_properties(std::vector<PropertyListing>& out) const override;
    bool get_builtin_property(std::string_view name, nlohmann::json& value) const override;
    void post_init() override;
    void on_unparent() override;

private:
    friend class Bus;
    std::string id_;
    Bus* parent_bus_ = nullptr;
    std::vector<Bus*> child_buses_;
    bool realized_ = false;
    bool hotplugged_ = false;
};

}  // namespace mimic::qom
