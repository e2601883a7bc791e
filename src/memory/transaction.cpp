// Commit logic: when region changes become visible to address spaces.
#include "mimic/memory/transaction.h"

#include "mimic/memory/address_space.h"

namespace mimic::memory {

namespace {

// Touched only by the BQL holder, like every region change.
unsigned g_depth = 0;
bool g_pending = false;

void commit() {
    // A listener may change regions again; that sets g_pending and is picked
    // up by the next round instead of recursing into a half-done commit.
    // (The Transaction also keeps the depth right if a listener throws.)
    Transaction in_commit;
    while (g_pending) {
        g_pending = false;
        std::vector<AddressSpace*> spaces = AddressSpace::all();
        for (AddressSpace* space : spaces) space->update();
    }
}

}  // namespace

Transaction::Transaction() { ++g_depth; }

Transaction::~Transaction() {
    if (--g_depth == 0 && g_pending) commit();
}

namespace detail {

void region_changed() {
    g_pending = true;
    if (g_depth == 0) commit();
}

}  // namespace detail

}  // namespace mimic::memory
