// -cpu for the accelerators that do not run the host's CPU (tcg, qtest):
// the models as the translator implements them, and no `host`.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "mimic/util/error.h"
#include "mimic/x86/cpu_models.h"

namespace mimic::accel {

inline x86::CpuModel parse_translated_cpu_model(std::string_view spec, std::vector<std::string>& warnings) {
    if (spec == "host" || spec.starts_with("host,")) throw Error("CPU model 'host' requires KVM or HVF");
    // QEMU checks the model while building the machine: its errors name no option.
    return x86::parse_cpu_model(spec, warnings);
}

}  // namespace mimic::accel
