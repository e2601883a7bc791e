// What CPUID tells a guest under KVM: the leaves the host's KVM supports
// (KVM_GET_SUPPORTED_CPUID), cut down to the -cpu model, plus KVM's
// paravirtual leaves as QEMU exposes them. `-cpu host` passes the
// supported leaves through.
#pragma once

#include <linux/kvm.h>

#include <cstdint>
#include <vector>

#include "mimic/x86/cpu_models.h"

namespace mimic::accel::kvm {

class KvmVm;

class KvmCpuid {
public:
    // Throws mimic::Error when KVM will not say.
    explicit KvmCpuid(const KvmVm& vm);

    // The feature words the host's KVM can give a guest.
    x86::CpuFeatures available_features() const;

    // The table for one vCPU. `model` null: -cpu host. Without the
    // in-kernel APIC there is no x2APIC and no TSC deadline timer.
    std::vector<kvm_cpuid_entry2> guest_entries(const x86::CpuModel* model, uint32_t apic_id, unsigned cpu_count,
                                                bool apic_in_kernel = true) const;

private:
    std::vector<kvm_cpuid_entry2> entries_for(const x86::CpuModel* model, uint32_t apic_id, unsigned cpu_count) const;
    const kvm_cpuid_entry2* find(uint32_t function, uint32_t index = 0) const;

    std::vector<kvm_cpuid_entry2> supported_;
};

}  // namespace mimic::accel::kvm
