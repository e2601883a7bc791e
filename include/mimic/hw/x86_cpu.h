// The vCPUs as QOM devices: QEMU's "<model>-x86_64-cpu" objects, which the
// pc machine creates first, so they are /machine/unattached/device[0..n-1]
// as in QEMU. qom-list/qom-get and query-cpus-fast show them. They describe
// the CPUs the accelerator runs (model, CPUID features, APIC id, topology);
// the running state lives in x86::X86Cpu.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "mimic/cli/smp_config.h"
#include "mimic/qom/device.h"
#include "mimic/x86/cpu_models.h"

namespace mimic::hw {

class Machine;

inline constexpr const char* kTypeCpu = "cpu";             // abstract
inline constexpr const char* kTypeX86Cpu = "x86_64-cpu";   // abstract; "<model>-x86_64-cpu" derive from it

class X86CpuDevice : public qom::Device {
public:
    // Where the CPU sits: its index in -smp order and the topology ids.
    struct Placement {
        unsigned index = 0;
        uint32_t apic_id = 0;
        int32_t socket_id = 0, die_id = 0, core_id = 0, thread_id = 0;
    };

    // Before realize: the model the accelerator runs and the CPU's place.
    void configure(const x86::CpuModel& model, const Placement& placement);

    unsigned index() const { return index_; }
    // QEMU's CpuInstanceProperties for query-cpus-fast ("socket-id", ...;
    // "die-id" only when -smp has dies).
    nlohmann::json topology_props(bool with_dies) const;

    static std::vector<qom::Property> properties();

private:
    unsigned index_ = 0;
    x86::CpuFeatures features_;
    int64_t family_ = 0, model_ = 0, stepping_ = 0;
    std::string vendor_, model_id_;
    uint32_t level_ = 0, xlevel_ = 0, phys_bits_ = 0;
    uint32_t apic_id_ = 0;
    int32_t socket_id_ = 0, die_id_ = 0, core_id_ = 0, thread_id_ = 0, node_id_ = -1;
    bool start_powered_off_ = false;

    // CPU features come from -cpu (x86::parse_cpu_model), not -global.
    void post_init() override {}
};

// The QOM type of a model: "qemu64" -> "qemu64-x86_64-cpu".
std::string x86_cpu_type_name(std::string_view model);

// Creates and realizes one CPU per -smp vCPU as /machine/unattached/device[N],
// with the ids QEMU's pc machine gives them.
void create_x86_cpus(Machine& machine, const x86::CpuModel& model, const cli::SmpConfig& smp);

// The machine's CPUs in index order (empty before create_x86_cpus).
std::vector<X86CpuDevice*> x86_cpus(const Machine& machine);

}  // namespace mimic::hw
