// The QMP events Mimic emits, with QEMU's names and data members.
#include "builtins.h"
#include "mimic/monitor/monitor_hub.h"

namespace mimic::monitor {

void register_events(MonitorHub& hub) {
    Schema& schema = hub.schema();
    schema.add_enum({"ShutdownCause",
                     {"none", "host-error", "host-qmp-quit", "host-qmp-system-reset", "host-signal", "host-ui",
                      "guest-shutdown", "guest-reset", "guest-panic", "subsystem-reset", "snapshot-load"},
                     "Why the VM shut down or reset."});
    schema.add_enum({"IoOperationType", {"read", "write"}});
    schema.add_enum({"BlockErrorAction", {"ignore", "report", "stop"}});

    schema.add_event({"SHUTDOWN",
                      {{"guest", "bool", false, "true if the guest initiated it"},
                       {"reason", "ShutdownCause"}},
                      "Emitted when the VM shuts down; the process may exit right after."});
    schema.add_event({"POWERDOWN", {}, "Emitted when the power button was pressed (ACPI) on the guest's behalf."});
    schema.add_event({"RESET",
                      {{"guest", "bool", false, "true if the guest initiated it"},
                       {"reason", "ShutdownCause"}},
                      "Emitted when the VM is reset."});
    schema.add_event({"STOP", {}, "Emitted when the VM is stopped."});
    schema.add_event({"RESUME", {}, "Emitted when the VM resumes execution."});
    schema.add_event({"DEVICE_TRAY_MOVED",
                      {{"device", "str", false, "block device name (empty when the drive has none)"},
                       {"id", "str", false, "qdev id of the guest device"},
                       {"tray-open", "bool"}},
                      "Emitted whenever the tray of a removable device is moved by the guest or by eject."});
    schema.add_event({"DEVICE_DELETED",
                      {{"device", "str", kOptional, "the device's id, if it has one"}, {"path", "str"}},
                      "Emitted when the guest has finished removing a device."});
    schema.add_event({"BLOCK_IO_ERROR",
                      {{"device", "str"},
                       {"node-name", "str", kOptional},
                       {"operation", "IoOperationType"},
                       {"action", "BlockErrorAction"},
                       {"nospace", "bool", kOptional},
                       {"reason", "str"}},
                      "Emitted when a disk I/O error occurs."});
}

}  // namespace mimic::monitor
