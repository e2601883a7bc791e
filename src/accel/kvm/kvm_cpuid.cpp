#include "kvm_cpuid.h"

#include <sys/ioctl.h>

#include <cerrno>
#include <memory>
#include <string_view>

#include "kvm_abi.h"
#include "kvm_vm.h"
#include "mimic/util/error.h"

namespace mimic::accel::kvm {
namespace {

constexpr uint32_t kKvmSignatureLeaf = 0x40000000;
constexpr uint32_t kKvmFeaturesLeaf = 0x40000001;
// CPUID.01H:ECX bits QEMU turns on for every model under KVM.
constexpr uint32_t kX2apic = 1u << 21;
// KVM paravirtual features QEMU's pc enables by default (kvmclock, the
// no-op I/O delay, async page faults, steal time, PV EOI, stable clock).
constexpr uint32_t kKvmDefaultFeatures = (1u << 0) | (1u << 1) | (1u << 3) | (1u << 4) | (1u << 5) | (1u << 6) |
                                         (1u << 24);

uint32_t str4(std::string_view s, size_t at) {
    uint32_t v = 0;
    for (size_t i = 0; i < 4 && at + i < s.size(); ++i) v |= uint32_t(uint8_t(s[at + i])) << (8 * i);
    return v;
}

kvm_cpuid_entry2 entry(uint32_t function, uint32_t index = 0, uint32_t flags = 0) {
    kvm_cpuid_entry2 e{};
    e.function = function;
    e.index = index;
    e.flags = flags;
    return e;
}

}  // namespace

KvmCpuid::KvmCpuid(const KvmVm& vm) {
    // Grown until KVM stops answering E2BIG, as QEMU does.
    for (uint32_t count = 64; count <= 4096; count *= 2) {
        abi::CpuidArray cpuid(count);
        if (::ioctl(vm.system_fd(), abi::kGetSupportedCpuid, cpuid.data()) == 0) {
            supported_.assign(cpuid.entries(), cpuid.entries() + cpuid.count());
            return;
        }
        if (errno != E2BIG) throw Error("KVM_GET_SUPPORTED_CPUID failed: {}", errno_string(errno));
    }
    throw Error("KVM_GET_SUPPORTED_CPUID failed: {}", errno_string(E2BIG));
}

const kvm_cpuid_entry2* KvmCpuid::find(uint32_t function, uint32_t index) const {
    for (const kvm_cpuid_entry2& e : supported_) {
        if (e.function != function) continue;
        if ((e.flags & KVM_CPUID_FLAG_SIGNIFCANT_INDEX) && e.index != index) continue;
        return &e;
    }
    return nullptr;
}

x86::CpuFeatures KvmCpuid::available_features() const {
    x86::CpuFeatures f;
    if (const kvm_cpuid_entry2* e = find(1)) {
        f.f1_edx = e->edx;
        f.f1_ecx = e->ecx;
    }
    if (const kvm_cpuid_entry2* e = find(7, 0)) {
        f.f7_ebx = e->ebx;
        f.f7_ecx = e->ecx;
        f.f7_edx = e->edx;
    }
    if (const kvm_cpuid_entry2* e = find(0xd, 1)) f.xsave_d1_eax = e->eax;
    if (const kvm_cpuid_entry2* e = find(0x80000001)) {
        f.e1_edx = e->edx;
        f.e1_ecx = e->ecx;
    }
    if (const kvm_cpuid_entry2* e = find(0x80000007)) f.e7_edx = e->edx;
    if (const kvm_cpuid_entry2* e = find(6)) f.p6_eax = e->eax;
    return f;
}

std::vector<kvm_cpuid_entry2> KvmCpuid::guest_entries(const x86::CpuModel* model, uint32_t apic_id,
                                                      unsigned cpu_count, bool apic_in_kernel) const {
    std::vector<kvm_cpuid_entry2> out = entries_for(model, apic_id, cpu_count);
    if (!apic_in_kernel) {
        for (kvm_cpuid_entry2& e : out) {
            if (e.function == 1) e.ecx &= ~(kX2apic | x86::cpuid::kTscDeadline);
        }
    }
    return out;
}

std::vector<kvm_cpuid_entry2> KvmCpuid::entries_for(const x86::CpuModel* model, uint32_t apic_id,
                                                    unsigned cpu_count) const {
    const unsigned count = std::min(cpu_count, 255u);
    std::vector<kvm_cpuid_entry2> out;
    if (!model) {
        // -cpu host: everything KVM offers, with this vCPU's APIC ID.
        out = supported_;
        for (kvm_cpuid_entry2& e : out) {
            if (e.function == 1) {
                e.ebx = (e.ebx & 0xffff) | (count << 16) | (apic_id << 24);
                if (count > 1) e.edx |= x86::cpuid::kHtt;
            }
            if (e.function == 0xb || e.function == 0x1f) e.edx = apic_id;
        }
        return out;
    }
    const x86::CpuFeatures& f = model->features;
    const uint32_t max_basic = find(0) ? find(0)->eax : 1;
    const uint32_t max_extended = find(0x80000000) ? find(0x80000000)->eax : 0;
    const uint32_t level = std::min(model->level, max_basic);
    const uint32_t xlevel = std::min(model->xlevel, max_extended);

    kvm_cpuid_entry2 e = entry(0);
    e.eax = level;
    e.ebx = str4(model->vendor, 0);
    e.edx = str4(model->vendor, 4);
    e.ecx = str4(model->vendor, 8);
    out.push_back(e);

    e = entry(1);
    e.eax = model->version;
    e.ebx = (apic_id << 24) | (count << 16) | (8u << 8);
    e.ecx = f.f1_ecx | x86::cpuid::kHypervisor;
    if (const kvm_cpuid_entry2* s = find(1)) e.ecx |= s->ecx & kX2apic;
    e.edx = f.f1_edx;
    if (count > 1) e.edx |= x86::cpuid::kHtt;
    out.push_back(e);

    if (level >= 6) {
        e = entry(6);
        e.eax = f.p6_eax;
        out.push_back(e);
    }
    if (level >= 7) {
        e = entry(7, 0, KVM_CPUID_FLAG_SIGNIFCANT_INDEX);
        e.ebx = f.f7_ebx;
        e.ecx = f.f7_ecx;
        e.edx = f.f7_edx;
        out.push_back(e);
    }
    if (level >= 0xd && f.has_xsave()) {
        // x87 and SSE state only, as the models' XSAVE offers.
        e = entry(0xd, 0, KVM_CPUID_FLAG_SIGNIFCANT_INDEX);
        e.eax = 3;
        e.ebx = 576;
        e.ecx = 576;
        out.push_back(e);
        e = entry(0xd, 1, KVM_CPUID_FLAG_SIGNIFCANT_INDEX);
        e.eax = f.xsave_d1_eax;
        out.push_back(e);
    }

    // KVM's own leaves: the signature and the paravirtual features.
    e = entry(kKvmSignatureLeaf);
    e.eax = kKvmFeaturesLeaf;
    e.ebx = 0x4b4d564b;   // "KVMK"
    e.ecx = 0x564b4d56;   // "VMKV"
    e.edx = 0x0000004d;   // "M\0\0\0"
    out.push_back(e);
    e = entry(kKvmFeaturesLeaf);
    if (const kvm_cpuid_entry2* s = find(kKvmFeaturesLeaf)) e.eax = s->eax & kKvmDefaultFeatures;
    out.push_back(e);

    if (xlevel >= 0x80000000) {
        e = entry(0x80000000);
        e.eax = xlevel;
        e.ebx = str4(model->vendor, 0);
        e.edx = str4(model->vendor, 4);
        e.ecx = str4(model->vendor, 8);
        out.push_back(e);
    }
    if (xlevel >= 0x80000001) {
        e = entry(0x80000001);
        e.eax = model->version;
        e.ecx = f.e1_ecx;
        e.edx = f.e1_edx;
        // AMD parts mirror leaf 1's EDX bits here.
        if (model->vendor == "AuthenticAMD") e.edx |= f.f1_edx & 0x0183f3ffu;
        out.push_back(e);
    }
    for (uint32_t leaf = 0x80000002; leaf <= 0x80000004 && leaf <= xlevel; ++leaf) {
        const size_t at = (leaf - 0x80000002) * 16;
        e = entry(leaf);
        e.eax = str4(model->brand, at);
        e.ebx = str4(model->brand, at + 4);
        e.ecx = str4(model->brand, at + 8);
        e.edx = str4(model->brand, at + 12);
        out.push_back(e);
    }
    if (xlevel >= 0x80000007) {
        e = entry(0x80000007);
        e.edx = f.e7_edx;
        out.push_back(e);
    }
    if (xlevel >= 0x80000008) {
        // The host's address widths: the guest's page tables are the host's;
        // phys-bits= or host-phys-bits=on on -cpu replace the physical one.
        e = entry(0x80000008);
        if (const kvm_cpuid_entry2* s = find(0x80000008)) e.eax = s->eax & 0xffff;
        if (model->phys_bits) e.eax = (e.eax & ~0xffu) | model->phys_bits;
        out.push_back(e);
    }
    return out;
}

}  // namespace mimic::accel::kvm
