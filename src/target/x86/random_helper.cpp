// RDRAND and RDSEED: random numbers from the host kernel's pool, as QEMU's
// qemu_guest_getrandom gives them (the pool serves as both a generator and
// a seed source).
#include <sys/random.h>

#include <cerrno>

#include "helper_decls.h"

namespace mimic::x86 {

// The value, with CF in pending_flags: set when it is random, clear (and
// the value 0) when the host had none to give, which the guest retries as
// on hardware.
uint64_t helper_random(CpuState* env) {
    uint64_t value = 0;
    ssize_t got;
    do {
        got = getrandom(&value, sizeof value, GRND_NONBLOCK);
    } while (got < 0 && errno == EINTR);
    const bool ok = got == static_cast<ssize_t>(sizeof value);
    env->pending_flags = ok ? kFlagCF : 0;
    return ok ? value : 0;
}

}  // namespace mimic::x86
