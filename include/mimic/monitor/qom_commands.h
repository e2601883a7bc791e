// The monitor commands of the object and device model, registered once the
// machine exists:
//   QMP device_add, device_del, qom-list, qom-get, qom-set
//   HMP device_add, device_del, qom-list, qom-get, qom-set, info qtree
// They replace the "not supported yet" placeholders the hub declared.
#pragma once

namespace mimic::qom {
class Machine;
}

namespace mimic::monitor {

class MonitorHub;

// `machine` must outlive the hub's use of these commands; it must hang from
// a rooted tree ("/machine") so absolute qom paths resolve.
void register_qom_commands(MonitorHub& hub, qom::Machine& machine);

}  // namespace mimic::monitor
