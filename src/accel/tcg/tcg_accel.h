// The TCG accelerator: the x86 vCPUs translated by tcg/, taking turns on one
// host thread (round-robin, see tcg_accel.cpp and hw/intc/README.md).
//
// The vCPU thread runs guest code without the big lock (the CPU takes it
// around device accesses). Each vCPU is connected to its local APIC when the
// board has them. The main loop pauses it for stop, reset and
// shutdown; a halted CPU sleeps until an interrupt or a pause wakes it.
#pragma once

#include <memory>

#include "mimic/accel/accel_registry.h"
#include "mimic/cli/opts.h"

namespace mimic::accel {

// `options` is the -accel option (backend=jit|interp, thread=, one-insn-per-tb);
// throws mimic::Error for one it does not know.
std::unique_ptr<Accelerator> create_tcg_accel(const AccelOptions& options);

}  // namespace mimic::accel
