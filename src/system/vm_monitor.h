// What the running VM tells the monitor: the providers for CPU, memory,
// PCI and interrupt controller commands, and the HMP/QMP commands that
// need the machine itself (info pic, info tlb, info mem).
//
// Vm::Impl owns one after the machine and accelerator exist:
//   vm_monitor_ = std::make_unique<VmMonitor>(*hub_, *machine_, *accel_, run_control_, config_.smp);
// It unregisters its providers from the hub when it goes.
#pragma once

#include <memory>

#include "mimic/cli/smp_config.h"

namespace mimic::accel {
class Accelerator;
}
namespace mimic::hw {
class Machine;
}
namespace mimic::monitor {
class MonitorHub;
}

namespace mimic::system {

class RunControl;

class VmMonitor {
public:
    // Without vCPUs (-accel qtest) CPU commands say so. `smp` gives
    // the socket/core/thread ids query-cpus-fast reports.
    VmMonitor(monitor::MonitorHub& hub, hw::Machine& machine, accel::Accelerator& accel, RunControl& run_control,
              const cli::SmpConfig& smp);
    ~VmMonitor();
    VmMonitor(const VmMonitor&) = delete;
    VmMonitor& operator=(const VmMonitor&) = delete;

private:
    class Impl;
    std::unique_ptr<Impl> impl_;
};

}  // namespace mimic::system
