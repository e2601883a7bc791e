#include "mimic/main_loop/shutdown_cause.h"

namespace mimic {

const char* shutdown_cause_name(ShutdownCause cause) {
    switch (cause) {
    case ShutdownCause::kNone: return "none";
    case ShutdownCause::kHostError: return "host-error";
    case ShutdownCause::kHostQmpQuit: return "host-qmp-quit";
    case ShutdownCause::kHostQmpSystemReset: return "host-qmp-system-reset";
    case ShutdownCause::kHostSignal: return "host-signal";
    case ShutdownCause::kHostUi: return "host-ui";
    case ShutdownCause::kGuestShutdown: return "guest-shutdown";
    case ShutdownCause::kGuestReset: return "guest-reset";
    case ShutdownCause::kGuestPanic: return "guest-panic";
    case ShutdownCause::kSubsystemReset: return "subsystem-reset";
    case ShutdownCause::kSnapshotLoad: return "snapshot-load";
    }
    return "none";
}

bool is_guest_cause(ShutdownCause cause) {
    return cause == ShutdownCause::kGuestShutdown || cause == ShutdownCause::kGuestReset ||
           cause == ShutdownCause::kGuestPanic;
}

}  // namespace mimic
