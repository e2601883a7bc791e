// Errors a monitor command reports, with QAPI's error classes.
//
// Command handlers throw QmpError; QMP turns it into
//   {"error": {"class": "GenericError", "desc": "..."}}
// and HMP prints "Error: <desc>". A plain mimic::Error thrown by a subsystem
// is treated as a GenericError with its text, so subsystem code need not know
// about the monitor at all.
#pragma once

#include "mimic/util/error.h"

#include <string>

namespace mimic::monitor {

// QAPI's QapiErrorClass, in its order.
enum class ErrorClass {
    kGenericError,
    kCommandNotFound,
    kDeviceNotActive,
    kDeviceNotFound,
    kKvmMissingCap,
};
const char* to_string(ErrorClass error_class);

class QmpError : public Error {
public:
    QmpError(ErrorClass error_class, const std::string& desc) : Error(desc), class_(error_class) {}
    explicit QmpError(const std::string& desc) : QmpError(ErrorClass::kGenericError, desc) {}

    ErrorClass error_class() const { return class_; }

private:
    ErrorClass class_;
};

// "<what> is not supported yet", for commands whose subsystem has not
// registered its provider (or does not exist yet).
[[noreturn]] void throw_not_supported(const std::string& what);

}  // namespace mimic::monitor
