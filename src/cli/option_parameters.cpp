#include "mimic/cli/option_parameters.h"

namespace mimic::cli {
namespace {

constexpr OptionParameter kSandbox[] = {
    {"enable", OptType::kBool, ""},
    {"obsolete", OptType::kString, ""},
    {"elevateprivileges", OptType::kString, ""},
    {"spawn", OptType::kString, ""},
    {"resourcecontrol", OptType::kString, ""},
};

// QEMU's help texts, which libvirt and users see through QMP.
constexpr OptionParameter kName[] = {
    {"guest", OptType::kString,
     "Sets the name of the guest.\nThis name will be displayed in the SDL window caption.\n"
     "The name will also be used for the VNC server"},
    {"process", OptType::kString, "Sets the name of the QEMU process, as shown in top etc"},
    {"debug-threads", OptType::kBool,
     "When enabled, name the individual threads; defaults off.\nNOTE: The thread names are for debugging and not a\n"
     "stable API."},
};

constexpr OptionParameter kBoot[] = {
    {"order", OptType::kString, ""},      {"once", OptType::kString, ""},
    {"menu", OptType::kBool, ""},         {"splash", OptType::kString, ""},
    {"splash-time", OptType::kNumber, ""}, {"reboot-timeout", OptType::kNumber, ""},
    {"strict", OptType::kBool, ""},
};

// QEMU 7.2 also has "clusters", which the pc machine refuses anyway.
constexpr OptionParameter kSmp[] = {
    {"cpus", OptType::kNumber, ""},  {"sockets", OptType::kNumber, ""}, {"dies", OptType::kNumber, ""},
    {"cores", OptType::kNumber, ""}, {"threads", OptType::kNumber, ""}, {"maxcpus", OptType::kNumber, ""},
};

constexpr OptionParameter kMemory[] = {
    {"size", OptType::kSize, ""},
    {"slots", OptType::kNumber, ""},
    {"maxmem", OptType::kSize, ""},
};

constexpr OptionParameter kMon[] = {
    {"mode", OptType::kString, ""},
    {"chardev", OptType::kString, ""},
    {"pretty", OptType::kBool, ""},
};

constexpr OptionParameter kGlobal[] = {
    {"driver", OptType::kString, ""},
    {"property", OptType::kString, ""},
    {"value", OptType::kString, ""},
};

constexpr OptionParameter kRtc[] = {
    {"base", OptType::kString, ""},
    {"clock", OptType::kString, ""},
    {"driftfix", OptType::kString, ""},
};

constexpr OptionParameters kOptions[] = {
    {"sandbox", kSandbox},
    {"smbios", {}},
    {"name", kName},
    {"object", {}},
    {"boot-opts", kBoot},
    {"smp-opts", kSmp},
    {"memory", kMemory},
    {"accel", {}},
    {"mon", kMon},
    {"global", kGlobal},
    {"rtc", kRtc},
    {"net", {}},
    {"nic", {}},
    {"netdev", {}},
    {"device", {}},
};

}  // namespace

std::span<const OptionParameters> command_line_option_parameters() { return kOptions; }

const char* option_type_name(OptType type) {
    switch (type) {
        case OptType::kString: return "string";
        case OptType::kBool: return "boolean";
        case OptType::kNumber: return "number";
        case OptType::kSize: return "size";
    }
    return "string";
}

}  // namespace mimic::cli
