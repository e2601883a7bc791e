// CPUID's cache and topology leaves as QEMU 7.2 reports them for models
// without cache information of their own (its "legacy" caches: 32 KiB L1s,
// a 4 MiB L2, a 16 MiB L3; AMD's leaves 0x80000005/6 their own sizes), for
// the -smp topology. Private to src/target/x86.
#pragma once

#include <cstdint>

namespace mimic::x86 {

struct CpuidRegs {
    uint32_t a = 0, b = 0, c = 0, d = 0;
};

struct CpuTopology {
    unsigned threads_per_core = 1, cores_per_die = 1, dies_per_package = 1;
    uint32_t apic_id = 0;
    unsigned logical_per_package() const { return threads_per_core * cores_per_die; }
};

CpuidRegs cpuid_cache_descriptors();                                       // leaf 2
CpuidRegs cpuid_deterministic_cache(uint32_t subleaf, const CpuTopology& t);  // leaf 4
CpuidRegs cpuid_extended_topology(uint32_t subleaf, const CpuTopology& t);    // leaf 0xB
CpuidRegs cpuid_v2_extended_topology(uint32_t subleaf, const CpuTopology& t); // leaf 0x1F
CpuidRegs cpuid_amd_l1_cache();                                            // leaf 0x80000005
CpuidRegs cpuid_amd_l2_l3_cache();                                         // leaf 0x80000006
// Leaf 0x80000008 ECX: the package's threads and the APIC ID bits they use.
uint32_t cpuid_amd_package_threads(const CpuTopology& t);

}  // namespace mimic::x86
