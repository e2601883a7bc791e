// The KVM accelerator (-accel kvm, -enable-kvm): the pc machine's CPUs run
// on the host's /dev/kvm, one host thread per vCPU; port I/O and MMIO that
// KVM hands back are dispatched into the machine's address spaces under
// the BQL, as QEMU's kvm_cpu_exec() does.
#pragma once

#include <memory>

#include "mimic/accel/accel_registry.h"
#include "mimic/cli/opts.h"

namespace mimic::accel {

// Opens /dev/kvm and creates the VM (AccelInitError when the host cannot:
// QEMU's messages are printed); throws mimic::Error for bad options.
std::unique_ptr<Accelerator> create_kvm_accel(const AccelOptions& options);

}  // namespace mimic::accel
