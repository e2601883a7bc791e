#include "mimic/main_loop/cleanup.h"

#include <atomic>
#include <cstdlib>
#include <mutex>
#include <utility>
#include <vector>

#include "mimic/util/error.h"

namespace mimic {

namespace {

struct Registry {
    std::mutex mutex;
    std::vector<std::pair<CleanupId, std::function<void()>>> entries;
    CleanupId next_id = 1;
    bool atexit_installed = false;
};

Registry& registry() {
    // Leaked on purpose: atexit handlers and other static destructors may
    // still register or run cleanups after a function-local static died.
    static Registry* r = new Registry;
    return *r;
}

struct EmergencySlot {
    std::atomic<bool> claimed{false};
    std::atomic<EmergencyCleanupFn> fn{nullptr};
    std::atomic<void*> opaque{nullptr};
};
EmergencySlot g_emergency[kMaxEmergencyCleanups];

void run_cleanups_at_exit() { run_cleanups(); }

}  // namespace

CleanupId register_cleanup(std::function<void()> fn) {
    Registry& r = registry();
    std::lock_guard lock(r.mutex);
    if (!r.atexit_installed) {
        std::atexit(run_cleanups_at_exit);
        r.atexit_installed = true;
    }
    CleanupId id = r.next_id++;
    r.entries.emplace_back(id, std::move(fn));
    return id;
}

void unregister_cleanup(CleanupId id) {
    Registry& r = registry();
    std::lock_guard lock(r.mutex);
    std::erase_if(r.entries, [id](const auto& entry) { return entry.first == id; });
}

void run_cleanups() {
    Registry& r = registry();
    for (;;) {
        // Newest first, one at a time with the lock dropped, so a cleanup
        // may itself (un)register cleanups.
        std::function<void()> fn;
        {
            std::lock_guard lock(r.mutex);
            if (r.entries.empty()) return;
            fn = std::move(r.entries.back().second);
            r.entries.pop_back();
        }
        fn();
    }
}

int register_emergency_cleanup(EmergencyCleanupFn fn, void* opaque) {
    for (int i = 0; i < kMaxEmergencyCleanups; i++) {
        if (g_emergency[i].claimed.exchange(true)) continue;
        // opaque first: the signal handler calls fn as soon as it is set.
        g_emergency[i].opaque.store(opaque);
        g_emergency[i].fn.store(fn);
        return i;
    }
    throw Error("too many emergency cleanup handlers");
}

void unregister_emergency_cleanup(int slot) {
    if (slot < 0 || slot >= kMaxEmergencyCleanups) return;
    g_emergency[slot].fn.store(nullptr);
    g_emergency[slot].claimed.store(false);
}

void run_emergency_cleanups() {
    for (int i = kMaxEmergencyCleanups - 1; i >= 0; i--) {
        EmergencyCleanupFn fn = g_emergency[i].fn.load();
        if (fn) fn(g_emergency[i].opaque.load());
    }
}

}  // namespace mimic
