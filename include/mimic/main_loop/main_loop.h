// The main event loop: one thread that polls fds, runs expired timers and
// bottom halves, and decides when the emulator exits.
//
// Built on glib's default GMainContext so that anything using glib sources
// (GIOChannel users, libslirp glue) joins the same loop, but the loop is
// driven by hand (prepare/query/ppoll/check/dispatch) so it can sleep with
// nanosecond precision until the next timer and drop the BQL exactly around
// the sleep.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <functional>
#include <string>

#include "mimic/main_loop/shutdown_cause.h"

typedef struct _GMainContext GMainContext;

namespace mimic {

struct ExitRequest {
    ShutdownCause cause = ShutdownCause::kNone;
    int signal = 0;    // for kHostSignal
    pid_t pid = 0;     // sender of the signal, 0 when unknown
};

GMainContext* main_loop_context();

// One iteration: sleeps until an fd is ready, a timer is due, a bottom half
// is scheduled or `max_timeout_ns` passes (-1: no limit, 0: don't sleep),
// then dispatches. Must be called with the BQL held; drops it while asleep.
void main_loop_wait(int64_t max_timeout_ns = -1);

// Iterates until request_exit() is called, then returns the request and
// clears it. Takes the BQL if the caller does not hold it, and gives it back
// in the same state.
ExitRequest main_loop_run();

// As main_loop_run(), also calling `after_iteration` after every iteration
// (BQL held) and stopping when it returns true; for a run-state manager
// that carries out reset/shutdown requests at a safe point. Returns the
// pending ExitRequest, or one with cause kNone when the hook ended the loop.
ExitRequest main_loop_run(const std::function<bool()>& after_iteration);

// Thread-safe and async-signal-unsafe; the first request wins until
// main_loop_run() returns it.
void request_exit(ShutdownCause cause);
void request_exit(const ExitRequest& request);
bool exit_requested();

// Wakes the main loop from another thread so it re-evaluates deadlines.
void main_loop_wakeup();

}  // namespace mimic
