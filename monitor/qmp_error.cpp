#include "mimic/monitor/qmp_error.h"

namespace mimic::monitor {

const char* to_string(ErrorClass error_class) {
    switch (error_class) {
        case ErrorClass::kGenericError: return "GenericError";
        case ErrorClass::kCommandNotFound: return "CommandNotFound";
        case ErrorClass::kDeviceNotActive: return "DeviceNotActive";
        case ErrorClass::kDeviceNotFound: return "DeviceNotFound";
        case ErrorClass::kKvmMissingCap: return "KVMMissingCap";
    }
    return "GenericError";
}

void throw_not_supported(const std::string& what) {
    throw QmpError(what + " is not supported yet");
}

}  // namespace mimic::monitor
