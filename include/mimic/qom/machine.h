// The machine object (/machine): the containers that hold devices and the
// main system bus.
//
//   /machine/unattached              board devices without a chosen name,
//                                    as device[N]; also "sysbus" (the bus)
//   /machine/peripheral/<id>         -device ...,id=<id>
//   /machine/peripheral-anon/device[N]  -device without id
//
// Board code derives from Machine ("pc", "q35"), creates its devices and
// calls set_ready() when the machine is complete; from then on device_add
// is hotplug.
#pragma once

#include <memory>

#include "mimic/qom/bus.h"
#include "mimic/qom/object.h"

namespace mimic::qom {

inline constexpr const char* kTypeMachine = "machine";  // abstract

class Machine : public Object {
public:
    Machine();

    Container& unattached() const { return *unattached_; }
    Container& peripheral() const { return *peripheral_; }
    Container& peripheral_anon() const { return *peripheral_anon_; }
    Bus& sysbus() const { return *sysbus_; }

    // Takes ownership as /machine/unattached/device[N].
    Object& add_unattached(std::unique_ptr<Object> object);

    bool ready() const { return ready_; }
    void set_ready() { ready_ = true; }

    // System reset: the device tree from the main system bus (see
    // reset_bus_tree for the order).
    void system_reset();

    // device_del of a device on no bus (a CPU): the machine is its hotplug
    // handler, as in QEMU. The default removes it at once; boards refuse
    // what they cannot unplug (throws mimic::Error).
    virtual void unplug_request(Device& device);

    // The machine `object` belongs to: through composition parents, and for
    // devices not yet in the tree, through the bus they sit on.
    static Machine* of(const Object& object);

private:
    Container* unattached_ = nullptr;
    Container* peripheral_ = nullptr;
    Container* peripheral_anon_ = nullptr;
    Bus* sysbus_ = nullptr;
    bool ready_ = false;
};

}  // namespace mimic::qom
