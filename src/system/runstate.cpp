#include "mimic/system/runstate.h"

namespace mimic::system {

const char* to_string(RunState state) {
    switch (state) {
        case RunState::kDebug: return "debug";
        case RunState::kInMigrate: return "inmigrate";
        case RunState::kInternalError: return "internal-error";
        case RunState::kIoError: return "io-error";
        case RunState::kPaused: return "paused";
        case RunState::kPostMigrate: return "postmigrate";
        case RunState::kPreLaunch: return "prelaunch";
        case RunState::kFinishMigrate: return "finish-migrate";
        case RunState::kRestoreVm: return "restore-vm";
        case RunState::kRunning: return "running";
        case RunState::kSaveVm: return "save-vm";
        case RunState::kShutdown: return "shutdown";
        case RunState::kSuspended: return "suspended";
        case RunState::kWatchdog: return "watchdog";
        case RunState::kGuestPanicked: return "guest-panicked";
        case RunState::kColo: return "colo";
    }
    return "unknown";
}

void RunControl::emit(const Event& event) {
    for (const EventListener& listener : listeners_) listener(event);
}

void RunControl::wake() const {
    if (wakeup_hook_) wakeup_hook_();
}

void RunControl::start() {
    if (state_ == RunState::kRunning) return;
    state_ = RunState::kRunning;
    if (resume_hook_) resume_hook_();
    emit({"RESUME"});
}

void RunControl::stop(RunState state) {
    if (state_ != RunState::kRunning) {
        // Already stopped: only the reason changes (QEMU emits no second STOP).
        if (state_ != RunState::kShutdown) state_ = state;
        return;
    }
    if (pause_hook_) pause_hook_();
    state_ = state;
    emit({"STOP"});
}

void RunControl::request_reset(ShutdownCause cause) {
    reset_request_.store(static_cast<int>(cause) + 1);
    wake();
}

void RunControl::request_shutdown(ShutdownCause cause, int signal) {
    if (signal) shutdown_signal_.store(signal);
    shutdown_request_.store(static_cast<int>(cause) + 1);
    wake();
}

void RunControl::request_powerdown() {
    powerdown_request_.store(true);
    wake();
}

bool RunControl::process_requests() {
    if (int request = shutdown_request_.exchange(0)) {
        auto cause = static_cast<ShutdownCause>(request - 1);
        last_shutdown_cause_ = cause;
        emit({"SHUTDOWN", {{"guest", is_guest_cause(cause)}, {"reason", shutdown_cause_name(cause)}}});
        // -no-shutdown keeps a guest-initiated power-off paused for inspection;
        // the host (signal, quit) always ends the process.
        if (no_shutdown_ && cause == ShutdownCause::kGuestShutdown) {
            stop(RunState::kShutdown);
            state_ = RunState::kShutdown;
            return false;
        }
        return true;
    }
    if (int request = reset_request_.exchange(0)) {
        auto cause = static_cast<ShutdownCause>(request - 1);
        // QEMU: with -no-reboot every reset but a subsystem reset ends the VM.
        if (no_reboot_ && cause != ShutdownCause::kSubsystemReset) {
            last_shutdown_cause_ = cause;
            emit({"SHUTDOWN", {{"guest", is_guest_cause(cause)}, {"reason", shutdown_cause_name(cause)}}});
            return true;
        }
        if (reset_hook_) reset_hook_();
        emit({"RESET", {{"guest", is_guest_cause(cause)}, {"reason", shutdown_cause_name(cause)}}});
        // A reset out of the shutdown state (with -no-shutdown) resumes the VM.
        if (state_ == RunState::kShutdown) start();
    }
    if (powerdown_request_.exchange(false)) {
        emit({"POWERDOWN"});
        if (powerdown_hook_) powerdown_hook_();
    }
    return false;
}

}  // namespace mimic::system
