#include "mimic/system/help.h"

#include <algorithm>
#include <cstdio>

#include "mimic/accel/accel_registry.h"
#include "mimic/chardev/registry.h"
#include "mimic/hw/machine.h"
#include "mimic/net/netdev.h"
#include "mimic/qom/device_help.h"
#include "mimic/qom/object_help.h"
#include "mimic/qom/type.h"
#include "mimic/util/error.h"
#include "mimic/x86/cpu_models.h"
#include "networks.h"

namespace mimic::system {
namespace {

constexpr const char* kDefaultMachine = "pc-i440fx-7.2-machine";

std::string machine_name(const qom::Type& type) {
    std::string name = type.name();
    constexpr std::string_view kSuffix = "-machine";
    if (name.ends_with(kSuffix)) name.resize(name.size() - kSuffix.size());
    return name;
}

void print_machines(std::FILE* out) {
    std::vector<const qom::Type*> machines;
    for (const qom::Type* type : qom::TypeRegistry::instance().list(hw::kTypeX86Machine, false)) {
        if (!type->is_abstract()) machines.push_back(type);
    }
    std::fprintf(out, "Supported machines are:\n");
    // QEMU lists the machines by name, each after its alias.
    std::sort(machines.begin(), machines.end(),
              [](const qom::Type* x, const qom::Type* y) { return machine_name(*x) < machine_name(*y); });
    for (const qom::Type* type : machines) {
        std::string name = machine_name(*type);
        if (!type->alias().empty())
            std::fprintf(out, "%-20s %s (alias of %s)\n", type->alias().c_str(), type->description().c_str(),
                         name.c_str());
        std::fprintf(out, "%-20s %s%s\n", name.c_str(), type->description().c_str(),
                     type->name() == kDefaultMachine ? " (default)" : "");
    }
}

// Prints the text `make` returns; its errors name the option they came
// from ("-device bogus,help: Device 'bogus' not found").
template <class F>
void print_at_location(const cli::HelpRequest& request, std::FILE* out, F&& make) {
    std::fputs(with_location(request.location, make).c_str(), out);
}

}  // namespace

void print_help(const cli::HelpRequest& request, std::FILE* out) {
    using Topic = cli::HelpRequest::Topic;
    switch (request.topic) {
        case Topic::kMachine:
            print_machines(out);
            return;
        case Topic::kDevice:
            std::fputs(qom::device_list_help(false).c_str(), out);
            return;
        case Topic::kObject:
            std::fputs(qom::object_list_help().c_str(), out);
            return;
        case Topic::kObjectProperties:
            print_at_location(request, out, [&] { return qom::object_properties_help(request.subject); });
            return;
        case Topic::kDeviceProperties:
            print_at_location(request, out, [&] { return qom::device_properties_help(request.subject); });
            return;
        case Topic::kAccel:
            // As QEMU's list: the accelerators that run guests (not qtest).
            std::fprintf(out, "Accelerators supported in Mimic binary:\n");
            for (const accel::AccelType& type : accel::accel_types()) {
                if (type.listed) std::fprintf(out, "%.*s\n", static_cast<int>(type.name.size()), type.name.data());
            }
            return;
        case Topic::kChardev:
            std::fputs(chardev::backend_help_text().c_str(), out);
            return;
        case Topic::kVga:
            std::fprintf(out, "%-20s %s\n", "none", "no graphic card");
            return;
        case Topic::kDisplay:
            std::fprintf(out, "Available display backend types:\nnone\n");
            return;
        case Topic::kNetdev:
            std::fprintf(out, "Available netdev backend types:\n");
            for (const net::BackendType* type : net::backend_types())
                std::fprintf(out, "%s\n", std::string(type->name).c_str());
            return;
        case Topic::kNicModels:
            // -net nic,model=help has a heading; -nic ...,model=help not.
            if (request.subject == "-net") std::fprintf(out, "Supported NIC models:\n");
            for (const std::string& model : nic_models()) std::fprintf(out, "%s\n", model.c_str());
            return;
        case Topic::kCpu:
            // QEMU 7.2's x86 models in its order and format; `host` (the
            // host's own CPU, -accel kvm only) sorts between base and max.
            std::fprintf(out, "Available CPUs:\n");
            for (const x86::CpuModel& m : x86::cpu_models()) {
                if (m.name == "max")
                    std::fprintf(out, "x86 %-20s  %s\n", "host", "processor with all supported host features ");
                std::fprintf(out, "x86 %-20s  %s\n", std::string(m.name).c_str(), std::string(m.description).c_str());
            }
            return;
    }
}

}  // namespace mimic::system
