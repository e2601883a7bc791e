// qemu_ld/qemu_st through a test TLB: hits, misses, page crossings,
// alignment, every size, sign extension and byte order, on both back ends.
#include <random>

#include "harness.h"

namespace mimic::tcg::test {
namespace {

constexpr uint64_t kRamBase = 0x10000;
constexpr size_t kRamPages = 3;   // the third page is read-only in the TLB

struct World {
    alignas(4096) uint8_t ram[kRamPages * 4096];
    int slow_loads = 0, slow_stores = 0, align_faults = 0;
    uint64_t fault_pc = 0;
    Backend* backend = nullptr;
    uint8_t mmio_last = 0;
};
World* g_world = nullptr;

bool in_ram(uint64_t a) { return a >= kRamBase && a < kRamBase + sizeof(World::ram); }
// Bytes outside RAM read as a pattern ("MMIO").
uint8_t read_byte(uint64_t a) { return in_ram(a) ? g_world->ram[a - kRamBase] : uint8_t((a & 0xff) ^ 0x5a); }

void note_fault(MemOp m, uint64_t vaddr, uintptr_t retaddr) {
    if (vaddr % memop_align(m)) g_world->align_faults++;
    uint64_t data[2];
    if (g_world->backend && g_world->backend->restore_state(retaddr, data)) g_world->fault_pc = data[0];
}

uint64_t load_slow(void*, uint64_t vaddr, MemOp m, unsigned, uintptr_t retaddr) {
    g_world->slow_loads++;
    note_fault(m, vaddr, retaddr);
    uint64_t v = 0;
    for (unsigned i = 0; i < memop_size(m); ++i) v |= uint64_t(read_byte(vaddr + i)) << (8 * i);
    return memop_bswap(m, v);
}

void store_slow(void*, uint64_t vaddr, uint64_t value, MemOp m, unsigned, uintptr_t retaddr) {
    g_world->slow_stores++;
    note_fault(m, vaddr, retaddr);
    value = memop_bswap(m, value);
    for (unsigned i = 0; i < memop_size(m); ++i) {
        uint8_t byte = uint8_t(value >> (8 * i));
        if (in_ram(vaddr + i)) {
            g_world->ram[vaddr + i - kRamBase] = byte;
        } else {
            g_world->mmio_last = byte;
        }
    }
}

BackendConfig softmmu_config(bool bmi1) {
    BackendConfig cfg = default_config(&load_slow, &store_slow);
    cfg.use_bmi1 = bmi1;
    return cfg;
}

// With and without the BMI1 form of the fast path's index.
class SoftmmuTest : public ::testing::TestWithParam<bool> {
protected:
    SoftmmuTest() : be(softmmu_config(GetParam())) {
        g_world = &world;
        std::mt19937_64 gen(99);
        for (auto& b : world.ram) b = uint8_t(gen());
        for (size_t p = 0; p < kRamPages; ++p) {
            cpu.tlb.set(0, kRamBase + p * 4096, world.ram + p * 4096, true, p != 2, true);
        }
    }
    uint64_t expected_load(uint64_t a, MemOp m) {
        uint64_t v = 0;
        for (unsigned i = 0; i < memop_size(m); ++i) v |= uint64_t(read_byte(a + i)) << (8 * i);
        return memop_extend(m, memop_bswap(m, v));
    }

    World world;
    Harness h;
    BothBackends be;
    FakeCpu cpu;
};

std::vector<MemOp> all_memops(bool with_sign) {
    std::vector<MemOp> ops;
    for (MemOp size = kMo8; size <= kMo64; ++size) {
        for (MemOp sign : {0u, kMoSign}) {
            if (sign && (!with_sign || size == kMo64)) continue;
            for (MemOp endian : {0u, kMoBigEndian}) ops.push_back(size | sign | endian);
        }
    }
    return ops;
}

std::vector<uint64_t> test_addresses() {
    std::vector<uint64_t> a = {kRamBase, kRamBase + 8, kRamBase + 4095, kRamBase + 4094, kRamBase + 4093,
                               kRamBase + 4092, kRamBase + 4089, kRamBase + 4096 + 100, kRamBase + 2 * 4096 + 7,
                               kRamBase + 3 * 4096 - 3, kRamBase + 3 * 4096 + 16, 0x5000, 0xffffffffffff0000ull};
    std::mt19937_64 gen(7);
    for (int i = 0; i < 60; ++i) a.push_back(kRamBase + gen() % (kRamPages * 4096));
    return a;
}

TEST_P(SoftmmuTest, LoadsAllSizes) {
    for (bool wide : {false, true}) {
        for (MemOp m : all_memops(true)) {
            if (!wide && (m & kMoSizeMask) == kMo64) continue;
            Block block(h.g);
            Builder b(block);
            if (wide) {
                b.qemu_ld(h.r[1], h.r[0], m, 0);
            } else {
                b.qemu_ld(h.e[1], h.r[0], m, 0);
            }
            b.exit_tb(0);
            CompiledPair pair(be, block);
            for (uint64_t addr : test_addresses()) {
                uint64_t want = expected_load(addr, m);
                if (!wide) want &= 0xffffffff;
                bool crosses = (addr & 4095) + memop_size(m) > 4096;
                bool hit = in_ram(addr) && in_ram(addr + memop_size(m) - 1) && !crosses;
                for (int k = 0; k < 2; ++k) {
                    cpu.r[0] = addr;
                    cpu.r[1] = cpu.e[1] = 0xdead;
                    int slow_before = world.slow_loads;
                    be.be[k]->exec(&cpu, pair.tb[k]);
                    uint64_t got = wide ? cpu.r[1] : cpu.e[1];
                    ASSERT_EQ(got, want) << backend_name(k) << " memop " << m << std::hex << " addr 0x" << addr;
                    ASSERT_EQ(world.slow_loads - slow_before, hit ? 0 : 1)
                        << backend_name(k) << " memop " << m << std::hex << " addr 0x" << addr;
                }
            }
        }
    }
}

TEST_P(SoftmmuTest, StoresAllSizes) {
    std::mt19937_64 gen(3);
    for (bool wide : {false, true}) {
        for (MemOp m : all_memops(false)) {
            if (!wide && (m & kMoSizeMask) == kMo64) continue;
            Block block(h.g);
            Builder b(block);
            if (wide) {
                b.qemu_st(h.r[1], h.r[0], m, 0);
            } else {
                b.qemu_st(h.e[1], h.r[0], m, 0);
            }
            b.exit_tb(0);
            CompiledPair pair(be, block);
            for (uint64_t addr : test_addresses()) {
                if (!in_ram(addr) || !in_ram(addr + memop_size(m) - 1)) continue;
                bool crosses = (addr & 4095) + memop_size(m) > 4096;
                bool read_only = addr >= kRamBase + 2 * 4096 || addr + memop_size(m) - 1 >= kRamBase + 2 * 4096;
                for (int k = 0; k < 2; ++k) {
                    uint64_t value = gen();
                    cpu.r[0] = addr;
                    cpu.r[1] = value;
                    cpu.e[1] = uint32_t(value);
                    int slow_before = world.slow_stores;
                    uint8_t before[16];
                    std::memcpy(before, &world.ram[addr - kRamBase], memop_size(m));
                    be.be[k]->exec(&cpu, pair.tb[k]);
                    uint64_t stored = memop_bswap(m, value);
                    for (unsigned i = 0; i < memop_size(m); ++i) {
                        ASSERT_EQ(world.ram[addr - kRamBase + i], uint8_t(stored >> (8 * i)))
                            << backend_name(k) << " memop " << m << std::hex << " addr 0x" << addr << " byte " << i;
                    }
                    ASSERT_EQ(world.slow_stores - slow_before, (crosses || read_only) ? 1 : 0)
                        << backend_name(k) << " memop " << m << std::hex << " addr 0x" << addr;
                }
            }
        }
    }
}

TEST_P(SoftmmuTest, AlignmentGoesToSlowPath) {
    Block block(h.g);
    Builder b(block);
    b.qemu_ld(h.r[1], h.r[0], kMo32 | kMoAlignNatural, 0);
    b.qemu_st(h.r[1], h.r[2], kMo64 | mo_align(1), 0);   // 2-byte alignment for an 8-byte store
    b.exit_tb(0);
    CompiledPair pair(be, block);
    for (int k = 0; k < 2; ++k) {
        world.align_faults = 0;
        cpu.r[0] = kRamBase + 0x40;   // aligned: fast
        cpu.r[2] = kRamBase + 0x82;   // 2-aligned: fast
        be.be[k]->exec(&cpu, pair.tb[k]);
        EXPECT_EQ(world.align_faults, 0) << backend_name(k);
        cpu.r[0] = kRamBase + 0x41;
        cpu.r[2] = kRamBase + 0x81;
        be.be[k]->exec(&cpu, pair.tb[k]);
        EXPECT_EQ(world.align_faults, 2) << backend_name(k);
        EXPECT_EQ(cpu.r[1], expected_load(kRamBase + 0x41, kMo32)) << backend_name(k);
    }
}

TEST_P(SoftmmuTest, SlowPathKnowsTheGuestInstruction) {
    Block block(h.g);
    Builder b(block);
    b.insn_start(0x7000);
    b.qemu_ld(h.r[1], h.r[0], kMo32, 0);
    b.insn_start(0x7004);
    b.add(h.r[3], h.r[3], 1);
    b.qemu_st(h.r[3], h.r[2], kMo8, 0);
    b.exit_tb(0);
    CompiledPair pair(be, block);
    for (int k = 0; k < 2; ++k) {
        world.backend = be.be[k].get();
        cpu.r[0] = 0x5000;   // unmapped: slow
        cpu.r[2] = kRamBase;
        world.fault_pc = 0;
        be.be[k]->exec(&cpu, pair.tb[k]);
        EXPECT_EQ(world.fault_pc, 0x7000u) << backend_name(k);
        cpu.r[0] = kRamBase;
        cpu.r[2] = 0x5001;
        be.be[k]->exec(&cpu, pair.tb[k]);
        EXPECT_EQ(world.fault_pc, 0x7004u) << backend_name(k);
        world.backend = nullptr;
    }
}

// The globals the slow path finds in env (where a guest fault takes them).
uint64_t g_r1_at_slow_path = 0;
uint64_t load_slow_seeing_r1(void* env, uint64_t vaddr, MemOp m, unsigned idx, uintptr_t retaddr) {
    g_r1_at_slow_path = static_cast<FakeCpu*>(env)->r[1];
    return load_slow(env, vaddr, m, idx, retaddr);
}

TEST(SoftmmuSlowPath, FindsGlobalsInEnvUpToDate) {
    // r1 changes in a register on every turn of a loop; the load's slow
    // path must find its current value in env.
    World world;
    g_world = &world;
    Harness h;
    BothBackends be(default_config(&load_slow_seeing_r1, &store_slow));
    Block block(h.g);
    Builder b(block);
    Label top = b.new_label();
    b.set_label(top);
    b.add(h.r[1], h.r[1], 3);
    b.qemu_ld(h.r[2], h.r[0], kMo32, 0);
    b.add(h.r[1], h.r[1], h.r[2]);
    b.sub(h.r[3], h.r[3], 1);
    b.brcond(Cond::Ne, h.r[3], uint64_t{0}, top);
    b.exit_tb(0);
    CompiledPair pair(be, block);
    for (int k = 0; k < 2; ++k) {
        FakeCpu cpu;
        cpu.r[0] = 0x5000;   // unmapped: every load goes slow
        cpu.r[3] = 4;
        be.be[k]->exec(&cpu, pair.tb[k]);
        const uint64_t v = 0x5a5a5a5a ^ 0x03020100;   // what the pattern reads at 0x5000
        EXPECT_EQ(g_r1_at_slow_path, 3 * 4 + 3 * v) << backend_name(k);
        EXPECT_EQ(cpu.r[1], 4 * 3 + 4 * v) << backend_name(k);
    }
    g_world = nullptr;
}

// The access adds the guest address in its addressing mode: a load whose
// result takes over the address's register and stores of the address
// itself; loads that hit and loads that miss.
TEST_P(SoftmmuTest, AccessesThroughTheAddressRegister) {
    for (MemOp m : {MemOp(kMo8), MemOp(kMo16 | kMoSign), MemOp(kMo32 | kMoBigEndian), MemOp(kMo64)}) {
        const MemOp sm = m & ~kMoSign, sm_be = sm | kMoBigEndian;
        Block block(h.g);
        Builder b(block);
        I64 a = b.temp_i64();
        b.mov(a, h.r[0]);
        b.qemu_ld(a, a, m, 0);   // a dies as the address: the result may take its register
        b.mov(h.r[1], a);
        I64 s = b.temp_i64();
        b.mov(s, h.r[2]);
        b.qemu_st(s, s, sm, 0);   // the value is the address
        b.qemu_st(h.r[2], h.r[3], sm_be, 0);
        b.exit_tb(0);
        CompiledPair pair(be, block);
        for (uint64_t addr : {kRamBase + 0x48, kRamBase + 4096 - 2, uint64_t{0x5000}}) {
            for (int k = 0; k < 2; ++k) {
                const uint64_t st1 = kRamBase + 0x100 + 16 * k, st2 = kRamBase + 0x200 + 16 * k;
                cpu.r[0] = addr;
                cpu.r[2] = st1;
                cpu.r[3] = st2;
                const uint64_t want = expected_load(addr, m);
                be.be[k]->exec(&cpu, pair.tb[k]);
                EXPECT_EQ(cpu.r[1], want) << backend_name(k) << " memop " << m << std::hex << " addr 0x" << addr;
                EXPECT_EQ(expected_load(st1, sm), memop_extend(sm, st1)) << backend_name(k) << " memop " << m;
                EXPECT_EQ(expected_load(st2, sm_be), memop_extend(sm_be, st1)) << backend_name(k) << " memop " << m;
            }
        }
    }
}

// Generated code reads the table's size at run time: the same block hits
// after the table shrinks or grows and its entries move.
TEST_P(SoftmmuTest, TableSizeIsReadAtRunTime) {
    Block block(h.g);
    Builder b(block);
    b.qemu_ld(h.r[1], h.r[0], kMo32, 0);
    b.exit_tb(0);
    CompiledPair pair(be, block);
    for (unsigned bits : {kTlbMinBits, kTlbMaxBits, kTlbDefaultBits}) {
        cpu.tlb.flush();
        cpu.tlb.set_bits(0, bits);
        for (size_t p = 0; p < kRamPages; ++p) cpu.tlb.set(0, kRamBase + p * 4096, world.ram + p * 4096, true, true, true);
        for (int k = 0; k < 2; ++k) {
            cpu.r[0] = kRamBase + 4096 + 12;
            const int before = world.slow_loads;
            be.be[k]->exec(&cpu, pair.tb[k]);
            EXPECT_EQ(world.slow_loads - before, 0) << backend_name(k) << " bits " << bits;
            EXPECT_EQ(cpu.r[1], expected_load(kRamBase + 4096 + 12, kMo32));
        }
    }
}

TEST(TlbSizing, GrowsWhenMostlyFullAndShrinksWhenMostlyEmpty) {
    EXPECT_EQ(tlb_bits_after_conflicts(12, 3000), 13u);   // 73% in use
    EXPECT_EQ(tlb_bits_after_conflicts(12, 2000), 12u);   // evictions in a half-empty table: conflicts only
    EXPECT_EQ(tlb_bits_after_conflicts(kTlbMaxBits, 1u << kTlbMaxBits), kTlbMaxBits);
    EXPECT_EQ(tlb_bits_after_flush(12, 2000), 12u);       // 49% in use
    EXPECT_EQ(tlb_bits_after_flush(12, 1000), 11u);       // 24%: twice that fits in 2048
    EXPECT_EQ(tlb_bits_after_flush(12, 10), kTlbMinBits);
    EXPECT_EQ(tlb_bits_after_flush(kTlbMinBits, 0), kTlbMinBits);
}

TEST_P(SoftmmuTest, TlbFlushSendsEverythingSlow) {
    Block block(h.g);
    Builder b(block);
    b.qemu_ld(h.r[1], h.r[0], kMo64, 0);
    b.exit_tb(0);
    CompiledPair pair(be, block);
    cpu.r[0] = kRamBase + 16;
    cpu.tlb.flush_page(kRamBase);
    for (int k = 0; k < 2; ++k) {
        int before = world.slow_loads;
        be.be[k]->exec(&cpu, pair.tb[k]);
        EXPECT_EQ(world.slow_loads - before, 1);
        EXPECT_EQ(cpu.r[1], expected_load(kRamBase + 16, kMo64));
    }
}

}  // namespace
INSTANTIATE_TEST_SUITE_P(Bmi1, SoftmmuTest, ::testing::Bool(),
                         [](const ::testing::TestParamInfo<bool>& info) { return info.param ? "Bextr" : "ShiftAndMask"; });

}  // namespace mimic::tcg::test
