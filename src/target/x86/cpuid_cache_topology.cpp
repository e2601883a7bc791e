// CPUID cache and topology leaves (see cpuid_cache_topology.h).
#include "cpuid_cache_topology.h"

#include <bit>
#include <span>

namespace mimic::x86 {

namespace {

enum class CacheType : uint32_t { kData = 1, kInstruction = 2, kUnified = 3 };

struct Cache {
    CacheType type;
    unsigned level;
    unsigned line_size, associativity, sets;
    bool no_invd_sharing, inclusive, complex_indexing;
};

// QEMU's legacy caches as leaf 4 describes them (all self-initializing).
constexpr Cache kL1d{CacheType::kData, 1, 64, 8, 64, true, false, false};
constexpr Cache kL1i{CacheType::kInstruction, 1, 64, 8, 64, true, false, false};
constexpr Cache kL2{CacheType::kUnified, 2, 64, 16, 4096, true, false, false};
constexpr Cache kL3{CacheType::kUnified, 3, 64, 16, 16384, false, true, true};

// Bits an APIC ID field needs for `count` units.
unsigned id_width(unsigned count) { return count > 1 ? 32u - static_cast<unsigned>(std::countl_zero(count - 1)) : 0; }
unsigned core_offset(const CpuTopology& t) { return id_width(t.threads_per_core); }
unsigned die_offset(const CpuTopology& t) { return core_offset(t) + id_width(t.cores_per_die); }
unsigned package_offset(const CpuTopology& t) { return die_offset(t) + id_width(t.dies_per_package); }

CpuidRegs encode_leaf4(const Cache& c, unsigned sharing_ids, unsigned cores) {
    CpuidRegs r;
    r.a = static_cast<uint32_t>(c.type) | (c.level << 5) | (1u << 8) | ((cores - 1) << 26) | ((sharing_ids - 1) << 14);
    r.b = (c.line_size - 1) | ((c.associativity - 1) << 22);   // one partition
    r.c = c.sets - 1;
    r.d = (c.no_invd_sharing ? 1u : 0) | (c.inclusive ? 2u : 0) | (c.complex_indexing ? 4u : 0);
    return r;
}

}  // namespace

CpuidRegs cpuid_cache_descriptors() {
    // One call; descriptors 0x2c (L1d 32 KiB), 0x30 (L1i 32 KiB), 0x7d (L2
    // 2 MiB) and 0x4d (L3 16 MiB), as QEMU lists its legacy caches.
    return {1, 0, 0x4d, 0x2c307d};
}

CpuidRegs cpuid_deterministic_cache(uint32_t subleaf, const CpuTopology& t) {
    // As QEMU counts them: the cores of a die; the L2 shared by a core's
    // threads, the L3 by the die, the L1s by nothing else.
    switch (subleaf) {
    case 0: return encode_leaf4(kL1d, 1, t.cores_per_die);
    case 1: return encode_leaf4(kL1i, 1, t.cores_per_die);
    case 2: return encode_leaf4(kL2, t.threads_per_core, t.cores_per_die);
    case 3: return encode_leaf4(kL3, 1u << die_offset(t), t.cores_per_die);
    default: return {};
    }
}

namespace {

// One level of leaf 0xB or 0x1F: the APIC ID bits below the next level,
// the logical processors it holds, its type (1 SMT, 2 core, 5 die).
struct TopologyLevel {
    unsigned shift, count, type;
};

CpuidRegs topology_leaf(uint32_t subleaf, const CpuTopology& t, std::span<const TopologyLevel> levels) {
    CpuidRegs r;
    r.c = subleaf & 0xff;
    r.d = t.apic_id;
    if (subleaf < levels.size()) {   // past the last level: type 0, "invalid"
        r.a = levels[subleaf].shift;
        r.b = levels[subleaf].count & 0xffff;
        r.c |= levels[subleaf].type << 8;
    }
    return r;
}

}  // namespace

CpuidRegs cpuid_extended_topology(uint32_t subleaf, const CpuTopology& t) {
    const TopologyLevel levels[] = {{core_offset(t), t.threads_per_core, 1},
                                    {package_offset(t), t.logical_per_package(), 2}};
    return topology_leaf(subleaf, t, levels);
}

// Leaf 0xB with the die level between the cores and the package; QEMU
// fills it only when there are several dies.
CpuidRegs cpuid_v2_extended_topology(uint32_t subleaf, const CpuTopology& t) {
    if (t.dies_per_package < 2) return {};
    const TopologyLevel levels[] = {{core_offset(t), t.threads_per_core, 1},
                                    {die_offset(t), t.logical_per_package(), 2},
                                    {package_offset(t), t.dies_per_package * t.logical_per_package(), 5}};
    return topology_leaf(subleaf, t, levels);
}

CpuidRegs cpuid_amd_l1_cache() {
    // 2 MiB and 4 KiB TLBs of 255 fully associative entries; L1d and L1i of
    // 64 KiB, 2-way, one line per tag, 64-byte lines.
    return {0x01ff01ff, 0x01ff01ff, 0x40020140, 0x40020140};
}

CpuidRegs cpuid_amd_l2_l3_cache() {
    // No 2 MiB L2 TLB; 512 4 KiB entries, 4-way; L2 512 KiB 16-way and L3
    // 16 MiB 16-way, one line per tag, 64-byte lines.
    return {0, 0x42004200, 0x02008140, 0x00808140};
}

uint32_t cpuid_amd_package_threads(const CpuTopology& t) {
    const unsigned n = t.logical_per_package();
    return n > 1 ? (package_offset(t) << 12) | (n - 1) : 0;
}

}  // namespace mimic::x86
