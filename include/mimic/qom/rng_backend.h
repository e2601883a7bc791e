// Entropy sources for virtio-rng (QEMU's "rng-backend" objects):
//   -object rng-random,id=r0,filename=/dev/urandom   a host file or device
//   -object rng-builtin,id=r0                        the host's getrandom()
// A device names one with rng=r0; read() fills a buffer now (the sources
// here never block for long: /dev/urandom, getrandom with no flags after
// boot).
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

#include "mimic/qom/user_creatable.h"

namespace mimic::qom {

inline constexpr const char* kTypeRngBackend = "rng-backend";

class RngBackend : public UserCreatable {
  public:
    // Up to `len` random bytes into `buf`; how many (0 on a read error).
    virtual size_t read(uint8_t* buf, size_t len) = 0;
};

// The back end /objects/<id> of the tree `tree` belongs to, or nullptr.
RngBackend* find_rng_backend(Object& tree, const std::string& id);

}  // namespace mimic::qom
