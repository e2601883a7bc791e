#include "mimic/main_loop/bql.h"

#include <cstdio>
#include <cstdlib>
#include <mutex>

namespace mimic {

namespace {

std::mutex g_bql;
thread_local bool t_bql_held = false;

[[noreturn]] void bql_bug(const char* what) {
    std::fprintf(stderr, "mimic: BQL misuse: %s\n", what);
    std::abort();
}

}  // namespace

void bql_lock() {
    if (t_bql_held) bql_bug("lock taken twice by one thread");
    g_bql.lock();
    t_bql_held = true;
}

void bql_unlock() {
    if (!t_bql_held) bql_bug("unlock without holding the lock");
    t_bql_held = false;
    g_bql.unlock();
}

bool bql_locked() { return t_bql_held; }

void assert_bql_locked() {
    if (!t_bql_held) bql_bug("caller must hold the lock");
}

}  // namespace mimic
