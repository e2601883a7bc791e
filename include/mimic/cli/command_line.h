// Parses mimic-system-x86_64's argv into a VmConfig.
#pragma once

#include <cstdio>
#include <optional>
#include <string>

#include "mimic/cli/vm_config.h"

namespace mimic::cli {

inline constexpr const char* kProgramName = "mimic-system-x86_64";
inline constexpr const char* kVersion = "0.1.0";
// The QEMU release whose interface Mimic follows (as QMP's query-version says).
inline constexpr const char* kQemuCompatibleVersion = "7.2.0";

// "-machine help", "-device e1000,help" and friends: listings that need the
// registries of types, which the caller owns.
struct HelpRequest {
    enum class Topic {
        kMachine, kCpu, kAccel, kDevice, kDeviceProperties, kNetdev, kChardev, kVga, kDisplay, kNicModels,
        kObject, kObjectProperties,
    };
    Topic topic;
    // The device name for kDeviceProperties, the type for kObjectProperties;
    // "-net" for kNicModels from -net.
    std::string subject;
    std::string location;  // the option ("-object foo,help"), for errors the listing meets
};

struct ParseOutcome {
    VmConfig config;
    std::optional<HelpRequest> help;  // set: print the listing and exit 0
    bool exit_now = false;            // -version, -help, -d help: already printed
};

// Throws mimic::Error carrying "LOCATION: message" (e.g. "-m foo: Parameter
// 'size' expects a non-negative number below 2^64"); the caller prefixes the
// program name. Informational output (-help, -version) goes to `out`.
ParseOutcome parse_command_line(int argc, const char* const* argv, std::FILE* out = stdout);

void print_usage(std::FILE* out);
void print_version(std::FILE* out);

}  // namespace mimic::cli
