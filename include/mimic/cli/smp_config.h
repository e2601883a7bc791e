// -smp: the vCPU count and topology, resolved as QEMU's pc machines do
// (since QEMU 6.2 missing values prefer cores over sockets).
#pragma once

#include <string>

#include "mimic/cli/opts.h"

namespace mimic::cli {

struct SmpConfig {
    unsigned cpus = 1;
    unsigned sockets = 1;
    unsigned dies = 1;
    unsigned cores = 1;
    unsigned threads = 1;
    unsigned max_cpus = 1;
};

// Resolves the omitted values and checks the product against maxcpus.
// `machine_max_cpus` bounds the result (255 for the pc machine); `machine_name`
// appears in the error. Throws mimic::Error with QEMU's wording.
SmpConfig resolve_smp(const Opts& opts, unsigned machine_max_cpus = 255,
                      const std::string& machine_name = "pc-i440fx-7.2");

}  // namespace mimic::cli
