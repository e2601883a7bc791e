// One KVM vCPU: its file descriptor and shared kvm_run area, the state it
// returns to at reset, and its registers converted for readers.
//
// At creation a KVM vCPU is in the architectural power-on state; that state
// (registers, FPU/XSAVE, XCRs, MSRs, local APIC, MP state, pending events)
// is saved then, and system_reset puts it back, as QEMU's reset does with
// values it computes.
#pragma once

#include <linux/kvm.h>

#include <cstdint>
#include <memory>
#include <vector>

#include "mimic/x86/cpu_state.h"

namespace mimic::accel::kvm {

class KvmVm;

class KvmVcpu {
public:
    // Throws mimic::Error.
    KvmVcpu(const KvmVm& vm, uint32_t apic_id);
    ~KvmVcpu();
    KvmVcpu(const KvmVcpu&) = delete;
    KvmVcpu& operator=(const KvmVcpu&) = delete;

    int fd() const { return fd_; }
    kvm_run& run_area() const { return *run_; }
    uint32_t apic_id() const { return apic_id_; }

    void set_cpuid(const std::vector<kvm_cpuid_entry2>& entries);
    // Records the power-on state to return to. `version` is CPUID.1:EAX
    // (EDX at reset); an AP with the in-kernel APIC waits for INIT/SIPI.
    void save_reset_state(uint32_t version, bool bsp, bool apic_in_kernel);
    void reset();
    // A STARTUP IPI's effect on an AP waiting for it: real mode at
    // vector << 12 (the userspace APIC's INIT/SIPI).
    void start_at_sipi(uint8_t vector);

    // The registers, read from KVM (the vCPU must not be running).
    const x86::CpuState& synchronize();
    uint32_t eflags() const { return static_cast<uint32_t>(state_.eflags); }

    // Writes RIP/RFLAGS-style edits made in run_area() back (none yet: the
    // registers are only read), and performs the ioctl: -errno on failure.
    int run();

private:
    struct ResetState;
    void get_msrs(std::vector<uint32_t> indices, std::vector<kvm_msr_entry>& out) const;

    const KvmVm& vm_;
    uint32_t apic_id_;
    int fd_ = -1;
    kvm_run* run_ = nullptr;
    size_t run_size_ = 0;
    std::unique_ptr<ResetState> reset_state_;
    x86::CpuState state_;
};

}  // namespace mimic::accel::kvm
