// The TCG accelerator: the x86 vCPUs translated by tcg/, taking turns on one
// host thread (round-robin, see tcg_accel.cpp and hw/intc/README.md).
//
// The vCPU thread runs guest code without the big lock (the CPU takes it
// around device accesses). Each vCPU is connected to its local APIC when the
// board has them. The main loop pauses it for stop, reset and
// shutdown; a halted CPU sleeps until an interrupt or a pause wakes it.
#pragma once

#include <cstdint>
#include <memory>

#include "mimic/cli/smp_config.h"
#include "mimic/cli/vm_config.h"
#include "mimic/hw/machine.h"
#include "mimic/system/runstate.h"
#include "mimic/x86/cpu.h"

namespace mimic::system {

class TcgAccel {
public:
    // `accel` is the -accel option (backend=jit|interp); `smp` the vCPUs and
    // their topology. Throws mimic::Error.
    TcgAccel(hw::Machine& machine, RunControl& run_control, const cli::Opts& accel, const x86::CpuModel& model,
             const cli::SmpConfig& smp = {});
    ~TcgAccel();

    x86::X86Cpu& cpu(unsigned index = 0);
    unsigned cpu_count() const;
    // The host thread id of the vCPU thread (query-cpus-fast's thread-id).
    int64_t thread_id() const;

    // Lets the vCPU run / parks it and waits until it is parked. Called on
    // the main loop thread with the BQL held.
    void resume();
    void pause();
    // Resets the CPUs (the machine resets its devices itself).
    void reset();
    // The INTR line from the 8259 on a board without APICs (any thread).
    void set_irq_line(bool level);

private:
    class Impl;
    std::unique_ptr<Impl> impl_;
};

}  // namespace mimic::system
