// Cleanups that must run however the emulator exits: normal return from
// main, exit() after a fatal error, a termination signal, or a crash.
//
// Ordinary cleanups run once, newest first, from run_cleanups() (main calls
// it on its exit path) or from atexit otherwise. Emergency cleanups are the
// few that must also run from a fatal signal handler, so they are plain
// function pointers restricted to async-signal-safe work (e.g. tcsetattr to
// give the user their terminal back).
#pragma once

#include <functional>

namespace mimic {

using CleanupId = int;

CleanupId register_cleanup(std::function<void()> fn);
// No-op for an id already run or removed.
void unregister_cleanup(CleanupId id);
// Runs all registered cleanups; later calls do nothing for those already run.
void run_cleanups();

using EmergencyCleanupFn = void (*)(void* opaque);
// At most a handful are supported (kMaxEmergencyCleanups); throws
// mimic::Error beyond that.
inline constexpr int kMaxEmergencyCleanups = 8;
int register_emergency_cleanup(EmergencyCleanupFn fn, void* opaque);
void unregister_emergency_cleanup(int slot);
// Async-signal-safe; called by the fatal signal handler.
void run_emergency_cleanups();

}  // namespace mimic
