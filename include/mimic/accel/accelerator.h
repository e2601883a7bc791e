// What runs the guest's CPUs: the translator (tcg), the kernel's KVM, or
// nothing at all (qtest). Shaped after QEMU's AccelClass and AccelOpsClass:
// the VM picks one through the registry (accel_registry.h) before it builds
// the machine, hands it the finished machine, and from then on drives it
// only through this interface.
//
//   std::unique_ptr<Accelerator> accel = configure_accelerator(config);   // may fall back
//   ... build the machine ...
//   accel->attach(context);            // memory, interrupt wiring, vCPUs (parked)
//   accel->resume();                   // run; pause() parks them again
//   const x86::CpuState& s = accel->synchronize_state(0);   // only while paused
//
// Threading: every method but the constructor is called on the main loop
// thread with the BQL held.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "mimic/x86/cpu_models.h"
#include "mimic/x86/mce.h"

#include "mimic/x86/cpu_state.h"

namespace mimic::cli {
struct VmConfig;
class Opts;
}  // namespace mimic::cli
namespace mimic::hw {
class Machine;
}
namespace mimic::qom {
class Object;
}
namespace mimic::system {
class RunControl;
}

namespace mimic::accel {

// Everything an accelerator connects to once the machine is built.
struct AttachContext {
    hw::Machine& machine;
    qom::Object& root;                 // the object tree (qtest resolves paths in it)
    system::RunControl& run_control;   // triple faults and guest resets go here
    const cli::VmConfig& config;
    const x86::CpuModel& cpu_model;    // -cpu, already parsed
};

class Accelerator {
public:
    virtual ~Accelerator() = default;

    // The registry's name ("tcg", "kvm", "qtest").
    virtual std::string_view name() const = 0;

    // The -cpu argument (the default model when none was given) as this
    // accelerator can run it; feature warnings are appended to `warnings`.
    // Throws mimic::Error with QEMU's text.
    virtual x86::CpuModel parse_cpu_model(std::string_view spec, std::vector<std::string>& warnings) const = 0;

    // Adjusts the machine before it is built (KVM reserves the pages it
    // keeps for real mode in the firmware's memory map).
    virtual void configure_machine(hw::Machine& /*machine*/) {}

    // Connects to the machine (memory listeners, interrupt lines, board
    // signals) and creates the vCPUs and their threads, parked. Throws
    // mimic::Error.
    virtual void attach(const AttachContext& context) = 0;

    // The vCPUs (0 for qtest).
    virtual unsigned cpu_count() const = 0;
    // Lets the vCPUs run / parks them and waits until they are parked.
    virtual void resume() = 0;
    virtual void pause() = 0;
    // Puts the vCPUs into their power-on state (the machine resets its
    // devices itself). Called paused.
    virtual void reset() = 0;

    // The architectural state of a paused vCPU, brought up to date for
    // readers (the monitor). EFLAGS is cpu_eflags(): TCG keeps the
    // arithmetic flags lazily outside it.
    virtual const x86::CpuState& synchronize_state(unsigned cpu) = 0;
    virtual uint32_t cpu_eflags(unsigned cpu) = 0;
    // The host thread that runs the vCPU (query-cpus-fast's thread-id).
    virtual int64_t cpu_thread_id(unsigned cpu) const = 0;

    // HMP mce: whether inject_mce() works here. Where it does not, the
    // command says "MCE injection not supported".
    virtual bool can_inject_mce() const { return false; }
    // Stores a machine check in a paused vCPU's banks (x86::inject_mce) and
    // raises #MC there when that asks for it; the caller prints the message
    // and carries out a reset.
    virtual x86::MceOutcome inject_mce(unsigned /*cpu*/, const x86::MceInjection& /*injection*/) { return {}; }
};

}  // namespace mimic::accel
