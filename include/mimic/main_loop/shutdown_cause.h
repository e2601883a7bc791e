// Why the VM shut down or reset: QMP's ShutdownCause, shared by the main loop
// (which ends on host signals) and the run state machine (SHUTDOWN/RESET events).
#pragma once

namespace mimic {

enum class ShutdownCause {
    kNone,
    kHostError,            // "host-error": an unrecoverable host-side error
    kHostQmpQuit,          // "host-qmp-quit": quit command, C-a x
    kHostQmpSystemReset,   // "host-qmp-system-reset"
    kHostSignal,           // "host-signal": SIGINT/SIGTERM/SIGHUP
    kHostUi,               // "host-ui": the display window was closed
    kGuestShutdown,        // "guest-shutdown": ACPI poweroff etc.
    kGuestReset,           // "guest-reset": triple fault, keyboard controller, 0xCF9
    kGuestPanic,           // "guest-panic"
    kSubsystemReset,       // "subsystem-reset"
    kSnapshotLoad,         // "snapshot-load"
};

// QMP's name for the cause ("host-signal", ...).
const char* shutdown_cause_name(ShutdownCause cause);
// Causes that come from the guest itself (QMP's "guest" field).
bool is_guest_cause(ShutdownCause cause);

}  // namespace mimic
