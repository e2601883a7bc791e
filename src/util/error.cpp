#include "mimic/util/error.h"

#include <cstring>

namespace mimic {

std::string errno_string(int err) {
    char buffer[256];
    // GNU strerror_r returns the message pointer, which may not be `buffer`.
    return strerror_r(err, buffer, sizeof buffer);
}

}  // namespace mimic
