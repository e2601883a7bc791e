// The VM's run state and the requests that change it, as QEMU models them.
//
// Devices, the monitor and signal handlers never stop or reset the machine
// directly: they post a request (reset, shutdown, powerdown, debug stop), and
// the main loop carries it out at a safe point through process_requests().
// Every transition is reported to listeners, which is where QMP gets its
// STOP, RESUME, RESET, SHUTDOWN and POWERDOWN events.
#pragma once

#include <atomic>
#include <functional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "mimic/main_loop/shutdown_cause.h"

namespace mimic::system {

// QAPI's RunState, in its order and with its names.
enum class RunState {
    kDebug, kInMigrate, kInternalError, kIoError, kPaused, kPostMigrate, kPreLaunch,
    kFinishMigrate, kRestoreVm, kRunning, kSaveVm, kShutdown, kSuspended, kWatchdog,
    kGuestPanicked, kColo,
};
const char* to_string(RunState state);

// QAPI's ShutdownCause.
using mimic::ShutdownCause;

// An event as QMP reports it: name and data (timestamp added by the monitor).
struct Event {
    std::string name;
    nlohmann::json data = nlohmann::json::object();
};

class RunControl {
public:
    using EventListener = std::function<void(const Event&)>;
    using Hook = std::function<void()>;

    RunState state() const { return state_; }
    bool running() const { return state_ == RunState::kRunning; }

    // Starts or resumes the vCPUs (QMP cont). Emits RESUME.
    void start();
    // Pauses the vCPUs and enters `state` (kPaused for QMP stop). Emits STOP.
    void stop(RunState state = RunState::kPaused);

    // Requests, carried out by process_requests() on the main loop thread.
    // Safe to call from any thread, including vCPU threads and signal context
    // (they only set atomics and wake the loop).
    void request_reset(ShutdownCause cause);
    void request_shutdown(ShutdownCause cause, int signal = 0);
    void request_powerdown();

    // -no-reboot turns guest resets into shutdowns; -no-shutdown keeps the
    // process alive (paused) after the guest powers off.
    void set_no_reboot(bool value) { no_reboot_ = value; }
    void set_no_shutdown(bool value) { no_shutdown_ = value; }

    // A shutdown is requested and not yet carried out.
    bool shutdown_pending() const { return shutdown_request_.load() != 0; }

    // Runs pending requests. Returns true when the process should exit.
    bool process_requests();

    // The signal number of a host-signal shutdown, for the exit message.
    int shutdown_signal() const { return shutdown_signal_; }
    ShutdownCause last_shutdown_cause() const { return last_shutdown_cause_; }

    void add_event_listener(EventListener listener) { listeners_.push_back(std::move(listener)); }
    void emit(const Event& event);

    // Hooks the machine installs: how to reset it, pause and resume vCPUs,
    // deliver the ACPI power button, and wake the main loop.
    void set_reset_hook(Hook hook) { reset_hook_ = std::move(hook); }
    void set_pause_hook(Hook hook) { pause_hook_ = std::move(hook); }
    void set_resume_hook(Hook hook) { resume_hook_ = std::move(hook); }
    void set_powerdown_hook(Hook hook) { powerdown_hook_ = std::move(hook); }
    void set_wakeup_hook(Hook hook) { wakeup_hook_ = std::move(hook); }

private:
    void wake() const;

    RunState state_ = RunState::kPreLaunch;
    bool no_reboot_ = false;
    bool no_shutdown_ = false;
    std::atomic<int> reset_request_{0};     // ShutdownCause + 1, or 0
    std::atomic<int> shutdown_request_{0};  // ShutdownCause + 1, or 0
    std::atomic<int> shutdown_signal_{0};
    std::atomic<bool> powerdown_request_{false};
    ShutdownCause last_shutdown_cause_ = ShutdownCause::kNone;
    std::vector<EventListener> listeners_;
    Hook reset_hook_, pause_hook_, resume_hook_, powerdown_hook_, wakeup_hook_;
};

}  // namespace mimic::system
