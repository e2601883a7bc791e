// The back-end types, one per file (user.cpp, tap.cpp, socket.cpp,
// hubport.cpp), collected by netdev.cpp.
#pragma once

#include "mimic/net/netdev.h"

namespace mimic::net {

extern const BackendType kUserBackend;
extern const BackendType kTapBackend;
extern const BackendType kSocketBackend;
extern const BackendType kHubportBackend;

}  // namespace mimic::net
