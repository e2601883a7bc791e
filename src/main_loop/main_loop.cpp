#include "mimic/main_loop/main_loop.h"

#include <glib.h>
#include <poll.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <mutex>
#include <vector>

#include "mimic/main_loop/bottom_half.h"
#include "mimic/main_loop/bql.h"
#include "mimic/main_loop/clock.h"
#include "mimic/main_loop/timer.h"

namespace mimic {

namespace {

std::mutex g_exit_mutex;
ExitRequest g_exit_request;  // cause kNone: nothing requested

// -1 means "no limit"; otherwise the smaller of the two.
int64_t min_timeout(int64_t a, int64_t b) {
    if (a < 0) return b;
    if (b < 0) return a;
    return std::min(a, b);
}

int poll_ns(std::vector<pollfd>& fds, int64_t timeout_ns) {
    timespec ts;
    timespec* tsp = nullptr;
    if (timeout_ns >= 0) {
        ts.tv_sec = timeout_ns / kNsPerSec;
        ts.tv_nsec = timeout_ns % kNsPerSec;
        tsp = &ts;
    }
    return ppoll(fds.data(), fds.size(), tsp, nullptr);
}

}  // namespace

GMainContext* main_loop_context() { return g_main_context_default(); }

void main_loop_wakeup() { g_main_context_wakeup(main_loop_context()); }

void main_loop_wait(int64_t max_timeout_ns) {
    assert_bql_locked();
    GMainContext* ctx = main_loop_context();
    if (!g_main_context_acquire(ctx)) {
        std::fprintf(stderr, "mimic: main loop iterated from two threads\n");
        std::abort();
    }

    gint max_priority = 0;
    g_main_context_prepare(ctx, &max_priority);

    // Grow until glib's fds fit; they change rarely, so keep the buffer.
    static thread_local std::vector<GPollFD> gfds(16);
    gint glib_timeout_ms = -1;
    gint n;
    while ((n = g_main_context_query(ctx, max_priority, &glib_timeout_ms, gfds.data(),
                                     static_cast<gint>(gfds.size()))) > static_cast<gint>(gfds.size())) {
        gfds.resize(n);
    }

    int64_t timeout = glib_timeout_ms < 0 ? -1 : int64_t{glib_timeout_ms} * kNsPerMs;
    timeout = min_timeout(timeout, timers_deadline_ns());
    timeout = min_timeout(timeout, max_timeout_ns);
    if (exit_requested()) timeout = 0;

    static thread_local std::vector<pollfd> fds;
    fds.resize(n);
    for (gint i = 0; i < n; i++) fds[i] = pollfd{gfds[i].fd, static_cast<short>(gfds[i].events), 0};

    int ret;
    {
        // Sleeping is the one time vCPU threads may touch devices freely.
        BqlUnlockGuard unlocked;
        ret = poll_ns(fds, timeout);
    }
    if (ret < 0 && errno != EINTR) {
        std::fprintf(stderr, "mimic: main loop poll failed: %s\n", g_strerror(errno));
        std::abort();
    }
    for (gint i = 0; i < n; i++) gfds[i].revents = ret > 0 ? static_cast<gushort>(fds[i].revents) : 0;

    if (g_main_context_check(ctx, max_priority, gfds.data(), n)) g_main_context_dispatch(ctx);
    run_all_expired_timers();
    run_bottom_halves();
    g_main_context_release(ctx);
}

ExitRequest main_loop_run() { return main_loop_run(nullptr); }

ExitRequest main_loop_run(const std::function<bool()>& after_iteration) {
    bool took_lock = !bql_locked();
    if (took_lock) bql_lock();
    while (!exit_requested()) {
        main_loop_wait();
        if (after_iteration && after_iteration()) break;
    }
    ExitRequest request;
    {
        std::lock_guard lock(g_exit_mutex);
        request = g_exit_request;
        g_exit_request = ExitRequest{};
    }
    if (took_lock) bql_unlock();
    return request;
}

void request_exit(ShutdownCause cause) { request_exit(ExitRequest{cause, 0, 0}); }

void request_exit(const ExitRequest& request) {
    {
        std::lock_guard lock(g_exit_mutex);
        if (g_exit_request.cause != ShutdownCause::kNone) return;
        g_exit_request = request;
        if (g_exit_request.cause == ShutdownCause::kNone) g_exit_request.cause = ShutdownCause::kHostError;
    }
    main_loop_wakeup();
}

bool exit_requested() {
    std::lock_guard lock(g_exit_mutex);
    return g_exit_request.cause != ShutdownCause::kNone;
}

}  // namespace mimic
