// The parameters of the QemuOpts-style command-line options, as QMP's
// query-command-line-options reports them (libvirt probes it, e.g. for
// -sandbox's sub-options).
#pragma once

#include <span>

#include "mimic/cli/opts.h"

namespace mimic::cli {

struct OptionParameter {
    const char* name;
    OptType type;
    const char* help;  // empty: QEMU reports no help for it
};

struct OptionParameters {
    const char* option;  // QEMU's option group name: "sandbox", "boot-opts", "smp-opts"
    // In QEMU's declaration order. An empty list: the option's keys are
    // checked by whatever it creates (-device, -netdev, -object).
    std::span<const OptionParameter> parameters;
};

// Every option Mimic accepts that QEMU 7.2 lists, in QEMU's order.
std::span<const OptionParameters> command_line_option_parameters();

// QMP's name for a parameter type: "string", "boolean", "number", "size".
const char* option_type_name(OptType type);

}  // namespace mimic::cli
