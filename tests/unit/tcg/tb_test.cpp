// Translation blocks: chaining, the TB cache, invalidation (self-modifying
// code), code buffer flush, and the executor driving a toy guest.
#include "harness.h"
#include "mimic/tcg/code_bitmap.h"
#include "mimic/tcg/code_buffer.h"
#include "mimic/tcg/executor.h"
#include "mimic/tcg/tb_cache.h"
#include "mimic/util/log.h"

namespace mimic::tcg::test {
namespace {

class TbTest : public ::testing::TestWithParam<const char*> {
protected:
    std::unique_ptr<Backend> make(size_t code_size = 4u << 20) {
        BackendConfig cfg = default_config();
        cfg.code_buffer_size = code_size;
        cfg.lookup_tb = [](void* env) {
            auto* ex = static_cast<Executor*>(static_cast<FakeCpu*>(env)->executor);
            return ex ? ex->lookup_tb() : nullptr;
        };
        return make_backend(GetParam(), cfg);
    }
    // Translates what build(b) emits as tb's code and enters tb in the cache.
    template <typename Build>
    void add_block(Backend& backend, TbCache& cache, TranslationBlock* tb, Build build) {
        Block block(h.g);
        Builder b(block);
        build(b);
        ASSERT_TRUE(backend.translate(*tb, std::move(block)));
        cache.insert(tb);
    }
    // A block adding 1 to r[k] and asking the loop to check for requests.
    void add_counting_block(Backend& backend, TbCache& cache, TranslationBlock* tb, int k) {
        add_block(backend, cache, tb, [&](Builder& b) {
            b.add(h.r[k], h.r[k], uint64_t{1});
            b.exit_tb(kExitRequested);
        });
    }
    Harness h;
};

TEST_P(TbTest, GotoTbChainingBetweenTwoBlocks) {
    auto backend = make();
    TbCache cache(*backend);
    TranslationBlock* a = cache.create(TbKey{0x100, 0x100, 0, 0});
    TranslationBlock* c = cache.create(TbKey{0x200, 0x200, 0, 0});
    ASSERT_NO_FATAL_FAILURE(add_block(*backend, cache, a, [&](Builder& b) {
        b.add(h.r[0], h.r[0], uint64_t{1});
        b.goto_tb(0);
        b.movi(h.pc, 0x200);
        b.exit_tb(a, 0);
    }));
    ASSERT_NO_FATAL_FAILURE(add_counting_block(*backend, cache, c, 1));
    FakeCpu cpu;
    EXPECT_EQ(backend->exec(&cpu, *a), reinterpret_cast<uintptr_t>(a) | 0);
    EXPECT_EQ(cpu.r[0], 1u);
    EXPECT_EQ(cpu.pc, 0x200u);

    cache.link(a, 0, c);
    cpu.pc = 0;
    EXPECT_EQ(backend->exec(&cpu, *a), kExitRequested);
    EXPECT_EQ(cpu.r[0], 2u);
    EXPECT_EQ(cpu.r[1], 1u);
    EXPECT_EQ(cpu.pc, 0u);   // the linked path skips the exit code
    ASSERT_EQ(c->incoming.size(), 1u);

    // Invalidating the target unlinks the jump.
    cache.invalidate(c);
    EXPECT_EQ(a->jmp_dest[0], nullptr);
    EXPECT_EQ(backend->exec(&cpu, *a), reinterpret_cast<uintptr_t>(a));
    EXPECT_EQ(cpu.r[1], 1u);
    EXPECT_EQ(cache.lookup(TbKey{0x200, 0x200, 0, 0}), nullptr);
    EXPECT_EQ(cache.lookup(TbKey{0x100, 0x100, 0, 0}), a);
}

// A jump to another page, linked, is taken only while the TLB maps that
// page for execution to the host page it mapped when the link was made;
// otherwise the block leaves through its exit. The interpreter never links
// such jumps.
TEST_P(TbTest, GuardedGotoTbFollowsTheTlb) {
    auto backend = make();
    TbCache cache(*backend);
    const uint64_t target = 0x7000040;
    TranslationBlock* a = cache.create(TbKey{0x100, 0x100, 0, 0});
    TranslationBlock* c = cache.create(TbKey{0x5000040, target, 0, 0});
    ASSERT_NO_FATAL_FAILURE(add_block(*backend, cache, a, [&](Builder& b) {
        b.add(h.r[0], h.r[0], uint64_t{1});
        b.goto_tb_guarded(0, target, 1);
        b.movi(h.pc, target);
        b.exit_tb(a, 0);
    }));
    ASSERT_NO_FATAL_FAILURE(add_counting_block(*backend, cache, c, 1));
    static uint8_t page[2][4096];
    FakeCpu cpu;
    cpu.tlb.set(1, target, page[0], true, false, true);
    const uint64_t token = cpu.tlb.entry(1, target).addend;
    const uintptr_t exit_a = reinterpret_cast<uintptr_t>(a);
    cache.link(a, 0, c, token);
    const bool jit = std::string(GetParam()) == "jit";
    EXPECT_EQ(backend->exec(&cpu, *a), jit ? kExitRequested : exit_a);
    EXPECT_EQ(cpu.r[1], jit ? 1u : 0u);

    cpu.tlb.set(1, target, page[1], true, false, true);   // another host page
    EXPECT_EQ(backend->exec(&cpu, *a), exit_a);
    cpu.tlb.set(1, target, page[0], true, false, false);  // not executable
    EXPECT_EQ(backend->exec(&cpu, *a), exit_a);
    cpu.tlb.set(0, target, page[0], true, false, true);   // another MMU mode only
    cpu.tlb.flush_mmu(1);
    EXPECT_EQ(backend->exec(&cpu, *a), exit_a);
    cpu.tlb.set(1, target, page[0], true, false, true);   // as linked again
    EXPECT_EQ(backend->exec(&cpu, *a), jit ? kExitRequested : exit_a);
    EXPECT_EQ(cpu.r[0], 5u);
    EXPECT_EQ(cpu.r[1], jit ? 2u : 0u);

    // Relinking to another block for a new mapping replaces the link.
    TranslationBlock* d = cache.create(TbKey{0x6000040, target, 0, 0});
    ASSERT_NO_FATAL_FAILURE(add_counting_block(*backend, cache, d, 2));
    cpu.tlb.set(1, target, page[1], true, false, true);
    cache.link(a, 0, d, cpu.tlb.entry(1, target).addend);
    EXPECT_EQ(backend->exec(&cpu, *a), jit ? kExitRequested : exit_a);
    EXPECT_EQ(cpu.r[2], jit ? 1u : 0u);
    if (jit) {
        EXPECT_TRUE(c->incoming.empty());
    }
    cache.invalidate(d);
    EXPECT_EQ(backend->exec(&cpu, *a), exit_a);
}

// A toy guest: code[pc] = k adds k to r0 and falls through; 0 halts;
// 0xfe jumps to the address in r1 (indirect). Four instructions per block.
struct ToyGuest {
    std::vector<uint8_t> code;
    int translations = 0;
    Harness* h;

    Executor::Hooks hooks() {
        Executor::Hooks hk;
        hk.get_state = [](void* env) { return TbCpuState{static_cast<FakeCpu*>(env)->pc, 0, 0}; };
        hk.code_phys = [](void*, uint64_t pc) { return pc; };
        hk.translate = [this](void*, TranslationBlock& tb, Builder& b) {
            ++translations;
            uint64_t pc = tb.pc;
            for (int n = 0; n < 4; ++n, ++pc) {
                b.insn_start(pc);
                uint8_t k = code.at(pc);
                if (k == 0) {
                    b.movi(h->pc, pc);
                    b.exit_tb(kExitRequested);
                    tb.size = uint32_t(pc + 1 - tb.pc);
                    return;
                }
                if (k == 0xfe) {
                    b.mov(h->pc, h->r[1]);
                    b.lookup_and_goto_ptr();
                    tb.size = uint32_t(pc + 1 - tb.pc);
                    return;
                }
                b.add(h->r[0], h->r[0], uint64_t{k});
            }
            b.goto_tb(0);
            b.movi(h->pc, pc);
            b.exit_tb(&tb, 0);
            tb.size = uint32_t(pc - tb.pc);
        };
        return hk;
    }
};

uint64_t run_to_halt(Executor& ex, int* steps = nullptr) {
    int n = 0;
    while (ex.step() != kExitRequested) ++n;
    if (steps) *steps = n + 1;
    return 0;
}

TEST_P(TbTest, ExecutorChainsBlocksAndHandlesSelfModifyingCode) {
    auto backend = make();
    TbCache cache(*backend);
    ToyGuest guest{std::vector<uint8_t>(64, 1), 0, &h};
    guest.code[40] = 0;
    FakeCpu cpu;
    Executor ex(cache, h.g, &cpu, guest.hooks());
    cpu.executor = &ex;

    int steps = 0;
    run_to_halt(ex, &steps);
    EXPECT_EQ(cpu.r[0], 40u);
    EXPECT_EQ(cpu.pc, 40u);
    EXPECT_EQ(guest.translations, 11);
    EXPECT_EQ(steps, 11);   // one step per block the first time, chaining as it goes

    cpu.pc = 0;
    cpu.r[0] = 0;
    run_to_halt(ex, &steps);
    EXPECT_EQ(cpu.r[0], 40u);
    EXPECT_EQ(guest.translations, 11);
    EXPECT_EQ(steps, 1);    // all chained now

    // The guest writes its own code: byte 13 becomes 5.
    guest.code[13] = 5;
    EXPECT_EQ(cache.invalidate_phys_range(13, 14), 1u);
    EXPECT_TRUE(cache.page_has_code(13));
    cpu.pc = 0;
    cpu.r[0] = 0;
    run_to_halt(ex, &steps);
    EXPECT_EQ(cpu.r[0], 44u);
    EXPECT_EQ(guest.translations, 12);
}

TEST_P(TbTest, IndirectJumpThroughLookup) {
    auto backend = make();
    TbCache cache(*backend);
    ToyGuest guest{std::vector<uint8_t>(64, 2), 0, &h};
    guest.code[3] = 0xfe;   // jump to r1
    guest.code[30] = 0;
    FakeCpu cpu;
    cpu.r[1] = 20;
    Executor ex(cache, h.g, &cpu, guest.hooks());
    cpu.executor = &ex;
    run_to_halt(ex);
    EXPECT_EQ(cpu.r[0], 2u * 3 + 2u * 10);
    // Second time the target is translated: the lookup jumps straight to it.
    cpu.pc = 0;
    cpu.r[0] = 0;
    int steps = 0;
    run_to_halt(ex, &steps);
    EXPECT_EQ(cpu.r[0], 26u);
    EXPECT_EQ(steps, 1);
}

TEST_P(TbTest, JumpCacheFlushesOnePageOrAllAcrossEpochWraps) {
    auto backend = make();
    TbCache cache(*backend);
    ToyGuest guest{std::vector<uint8_t>(0x3000, 1), 0, &h};
    FakeCpu cpu;
    Executor::Hooks hk = guest.hooks();
    // scratch[0]: where the code pages are in physical memory.
    hk.code_phys = [](void* env, uint64_t pc) { return pc + static_cast<FakeCpu*>(env)->scratch[0]; };
    Executor ex(cache, h.g, &cpu, hk);
    cpu.executor = &ex;
    TranslationBlock* a = ex.get_tb(TbCpuState{0x1000, 0, 0});
    TranslationBlock* b = ex.get_tb(TbCpuState{0x2000, 0, 0});
    cpu.scratch[0] = 0x10000;   // the code mappings change
    EXPECT_EQ(ex.get_tb(TbCpuState{0x1000, 0, 0}), a);   // until the guest says so
    ex.flush_jump_cache_page(0x1000);
    TranslationBlock* a2 = ex.get_tb(TbCpuState{0x1000, 0, 0});
    EXPECT_EQ(a2->phys_pc, 0x11000u);
    EXPECT_EQ(ex.get_tb(TbCpuState{0x2000, 0, 0}), b);   // other pages keep theirs
    // Whole flushes are epochs; b's entry is from the first one, which comes
    // round again after 65535 more: it must not be taken for current then.
    for (int i = 0; i < 65535; ++i) ex.flush_jump_cache();
    TranslationBlock* b2 = ex.get_tb(TbCpuState{0x2000, 0, 0});
    EXPECT_EQ(b2->phys_pc, 0x12000u);
    EXPECT_EQ(ex.get_tb(TbCpuState{0x2000, 0, 0}), b2);
}

TEST_P(TbTest, CodeBufferFlushWhenFull) {
    // 32 KiB of code space for ~1000 blocks: the executor must flush and go on.
    auto backend = make(32u << 10);
    TbCache cache(*backend);
    ToyGuest guest{std::vector<uint8_t>(4001, 3), 0, &h};
    guest.code[4000] = 0;
    FakeCpu cpu;
    Executor ex(cache, h.g, &cpu, guest.hooks());
    cpu.executor = &ex;
    run_to_halt(ex);
    EXPECT_EQ(cpu.r[0], 12000u);
    EXPECT_EQ(guest.translations >= 1000, true);
    if (std::string(GetParam()) == "jit") {
        EXPECT_LT(cache.size(), 1000u);   // some flush happened
    }
    cpu.pc = 0;
    cpu.r[0] = 0;
    run_to_halt(ex);
    EXPECT_EQ(cpu.r[0], 12000u);
}

TEST_P(TbTest, BlockCountLimitFlushes) {
    auto backend = make();
    TbCache cache(*backend);
    ToyGuest guest{std::vector<uint8_t>(401, 3), 0, &h};
    guest.code[400] = 0;
    FakeCpu cpu;
    Executor ex(cache, h.g, &cpu, guest.hooks());
    cpu.executor = &ex;
    ex.max_blocks = 50;
    run_to_halt(ex);
    EXPECT_EQ(cpu.r[0], 1200u);
    EXPECT_LE(cache.allocated(), 50u);
}

INSTANTIATE_TEST_SUITE_P(Backends, TbTest, ::testing::Values("jit", "interp"));

TEST(CodeBuffer, CommitAndReset) {
    CodeBuffer buf(1 << 16);
    EXPECT_EQ(buf.used(), 0u);
    buf.commit(10);
    EXPECT_EQ(buf.used(), 16u);
    EXPECT_TRUE(buf.contains(reinterpret_cast<uintptr_t>(buf.base()) + 100));
    EXPECT_FALSE(buf.contains(reinterpret_cast<uintptr_t>(buf.base()) + (1 << 16)));
    buf.reset(0);
    EXPECT_EQ(buf.remaining(), size_t{1} << 16);
}

// drop_page() skips pages its filter says hold no entry, and never skips
// one that does, at either page size.
TEST(JumpTableTest, DropPageRemovesExactlyThePagesEntries) {
    static const uint8_t code[64] = {};
    std::vector<TranslationBlock> blocks(48);
    JumpTable table;
    const uint64_t key = JumpTable::key(7, 0xffffffff);
    for (size_t i = 0; i < blocks.size(); ++i) {
        blocks[i].pc = 0x400000 + i * 0x1000 + 0x10 * (i % 4);   // one block on each of 48 pages
        blocks[i].flags = 7;
        blocks[i].cs_limit = 0xffffffff;
        blocks[i].code = code + i;
        table.set(blocks[i], false);
    }
    for (uint64_t page = 0x1000000; page < 0x1100000; page += 0x1000) table.drop_page(page, kPageMask);
    for (const TranslationBlock& tb : blocks) EXPECT_EQ(table.find(tb.pc, 0, key), tb.code) << std::hex << tb.pc;
    table.drop_page(blocks[5].pc | 0xfff, kPageMask);
    for (size_t i = 0; i < blocks.size(); ++i)
        EXPECT_EQ(table.find(blocks[i].pc, 0, key), i == 5 ? nullptr : blocks[i].code) << i;
    table.drop_page(0x400000, ~uint64_t{0x1fffff});   // a 2 MiB page: all of them
    for (const TranslationBlock& tb : blocks) EXPECT_EQ(table.find(tb.pc, 0, key), nullptr) << std::hex << tb.pc;
    table.clear();
    table.set(blocks[7], false);
    table.drop_page(blocks[7].pc, kPageMask);
    EXPECT_EQ(table.find(blocks[7].pc, 0, key), nullptr);
}

// A flush of the non-global mappings keeps the entries set as global and
// only those; a full clear drops them too.
TEST(JumpTableTest, ClearNonglobalKeepsGlobalEntries) {
    static const uint8_t code[64] = {};
    std::vector<TranslationBlock> blocks(40);
    JumpTable table;
    const uint64_t key = JumpTable::key(7, 0xffffffff);
    for (size_t i = 0; i < blocks.size(); ++i) {
        blocks[i].pc = 0xffffffff81000000ull + i * 0x40;
        blocks[i].flags = 7;
        blocks[i].cs_limit = 0xffffffff;
        blocks[i].code = code + i;
        table.set(blocks[i], i % 3 == 0);
    }
    table.set(blocks[3], false);   // set again, no longer global
    table.clear_nonglobal();
    for (size_t i = 0; i < blocks.size(); ++i)
        EXPECT_EQ(table.find(blocks[i].pc, 0, key), i % 3 == 0 && i != 3 ? blocks[i].code : nullptr) << i;
    table.clear();
    for (const TranslationBlock& tb : blocks) EXPECT_EQ(table.find(tb.pc, 0, key), nullptr);
}

}  // namespace
}  // namespace mimic::tcg::test

namespace mimic::tcg::test {
namespace {

TEST(TbLogging, OpOpOptAndOutAsm) {
    std::string path = ::testing::TempDir() + "tcg_log.txt";
    log::set_file(path);
    log::set_mask(log::kOp | log::kOpOpt | log::kOutAsm);
    {
        Harness h;
        auto backend = make_jit_backend(default_config());
        TbCache cache(*backend);
        ToyGuest guest{std::vector<uint8_t>(8, 1), 0, &h};
        guest.code[4] = 0;
        FakeCpu cpu;
        Executor ex(cache, h.g, &cpu, guest.hooks());
        cpu.executor = &ex;
        run_to_halt(ex);
    }
    log::set_mask(0);
    log::set_file("");
    std::FILE* f = std::fopen(path.c_str(), "r");
    ASSERT_NE(f, nullptr);
    std::string text;
    char buf[4096];
    for (size_t n; (n = std::fread(buf, 1, sizeof(buf), f)) > 0;) text.append(buf, n);
    std::fclose(f);
    EXPECT_NE(text.find("OP:\n ---- 0x0 0x0\n add_i64 r0,r0,$0x1\n"), std::string::npos) << text;
    EXPECT_NE(text.find("OP after optimization:"), std::string::npos) << text;
    EXPECT_NE(text.find("OUT: [size="), std::string::npos) << text;
    EXPECT_NE(text.find("jmp"), std::string::npos) << text;
    if (std::getenv("MIMIC_SHOW_LOG")) std::fputs(text.c_str(), stderr);
}

}  // namespace
}  // namespace mimic::tcg::test

namespace mimic::tcg::test {
namespace {

// Enters an empty block with `size` bytes of code at phys (and on page2
// when it crosses into another page) into the cache.
TranslationBlock* add_code(Backend& backend, TbCache& cache, const Harness& h, uint64_t phys, uint32_t size,
                           uint64_t page2 = kNoPage) {
    TranslationBlock* tb = cache.create(TbKey{phys, phys, 0, 0});
    tb->size = size;
    tb->phys_page2 = page2;
    Block block(h.g);
    Builder(block).exit_tb(0);
    EXPECT_TRUE(backend.translate(*tb, std::move(block)));
    cache.insert(tb);
    return tb;
}

TEST(TbCacheTest, InvalidationOfBlocksCrossingAPage) {
    auto backend = make_interpreter_backend(default_config());
    TbCache cache(*backend);
    Harness h;
    auto add = [&](uint64_t phys, uint32_t size, uint64_t page2 = kNoPage) {
        return add_code(*backend, cache, h, phys, size, page2);
    };
    // 8 bytes at the end of page 0, 8 more at the start of page 5.
    TranslationBlock* crossing = add(0xff8, 16, 0x5000);
    TranslationBlock* other = add(0x5010, 4, kNoPage);
    EXPECT_TRUE(cache.page_has_code(0x5abc));
    EXPECT_EQ(cache.invalidate_phys_range(0x5008, 0x5010), 0u);   // between the two
    EXPECT_EQ(cache.invalidate_phys_range(0x5007, 0x5008), 1u);   // last byte of the crossing block
    EXPECT_TRUE(crossing->invalid);
    EXPECT_FALSE(other->invalid);
    EXPECT_EQ(cache.size(), 1u);
    EXPECT_EQ(cache.invalidate_phys_range(0, 0x10000), 1u);
    EXPECT_FALSE(cache.page_has_code(0x5000));
    EXPECT_FALSE(cache.page_has_code(0x0));
}

TEST(PageCodeBitmapTest, RangesAcrossWordBoundaries) {
    PageCodeBitmap code;
    EXPECT_FALSE(code.any(0, kPageSize));
    code.add(60, 70);   // bits 60..69: two words
    EXPECT_FALSE(code.any(0, 60));
    EXPECT_TRUE(code.any(59, 61));
    EXPECT_TRUE(code.any(69, 70));
    EXPECT_FALSE(code.any(70, 200));
    code.add(kPageSize - 1, kPageSize);
    EXPECT_TRUE(code.any(kPageSize - 8, kPageSize));
    EXPECT_FALSE(code.any(128, kPageSize - 1));
    code.clear();
    EXPECT_FALSE(code.any(0, kPageSize));
}

// The code bitmap: which bytes of a page are code of some valid block.
TEST(TbCacheTest, CodeBitmapFollowsTheBlocks) {
    auto backend = make_interpreter_backend(default_config());
    TbCache cache(*backend);
    Harness h;
    auto add = [&](uint64_t phys, uint32_t size, uint64_t page2 = kNoPage) {
        return add_code(*backend, cache, h, phys, size, page2);
    };
    TranslationBlock* a = add(0x3100, 0x10);           // 0x3100..0x310f
    TranslationBlock* b = add(0x3108, 0x10);           // overlaps a: 0x3108..0x3117
    TranslationBlock* crossing = add(0x3ffc, 8, 0x7000);   // 0x3ffc..0x3fff and 0x7000..0x7003
    EXPECT_FALSE(cache.range_has_code(0x30f8, 0x3100));    // just before a
    EXPECT_TRUE(cache.range_has_code(0x30fc, 0x3104));
    EXPECT_FALSE(cache.range_has_code(0x3118, 0x3120));    // just after b
    EXPECT_TRUE(cache.range_has_code(0x3117, 0x3118));
    EXPECT_TRUE(cache.range_has_code(0x7003, 0x7004));     // the crossing block's second page
    EXPECT_FALSE(cache.range_has_code(0x7004, 0x7008));
    // A store beside code invalidates nothing; into code, the blocks there.
    EXPECT_EQ(cache.invalidate_phys_range(0x3118, 0x3120), 0u);
    EXPECT_EQ(cache.invalidate_phys_range(0x3000, 0x3100), 0u);
    EXPECT_EQ(cache.invalidate_phys_range(0x3104, 0x3106), 1u);
    EXPECT_TRUE(a->invalid);
    EXPECT_FALSE(b->invalid);
    // a's bytes that b does not share are no longer code; b's still are.
    EXPECT_FALSE(cache.range_has_code(0x3100, 0x3108));
    EXPECT_TRUE(cache.range_has_code(0x3108, 0x3109));
    // Invalidated through its second page, the crossing block leaves both.
    EXPECT_EQ(cache.invalidate_phys_range(0x7000, 0x7001), 1u);
    EXPECT_TRUE(crossing->invalid);
    EXPECT_FALSE(cache.range_has_code(0x3ff0, 0x4000));
    EXPECT_FALSE(cache.page_has_code(0x7000));
    EXPECT_TRUE(cache.page_has_code(0x3000));
    EXPECT_EQ(cache.invalidate_phys_range(0x3000, 0x4000), 1u);
    EXPECT_FALSE(cache.page_has_code(0x3000));
    // A block entered after others left the page is code at once.
    add(0x3200, 4);
    EXPECT_TRUE(cache.range_has_code(0x3203, 0x3204));
    cache.flush();
    EXPECT_FALSE(cache.range_has_code(0x3000, 0x4000));
}

TEST(TbCacheTest, KeepsAttachedJumpTablesExact) {
    auto backend = make_jit_backend(default_config());
    TbCache cache(*backend);
    Harness h;
    auto add = [&](uint64_t pc) {
        TranslationBlock* tb = cache.create(TbKey{pc, pc, 0, 7, 0xffffffff});
        tb->size = 4;
        Block block(h.g);
        Builder(block).exit_tb(0);
        EXPECT_TRUE(backend->translate(*tb, std::move(block)));
        cache.insert(tb);
        return tb;
    };
    JumpTable table, unattached;
    cache.attach(&table);
    TranslationBlock* a = add(0x1000);
    TranslationBlock* b = add(0x2040);
    const uint64_t key = JumpTable::key(7, 0xffffffff);
    for (JumpTable* t : {&table, &unattached}) {
        t->set(*a, false);
        t->set(*b, false);
    }
    EXPECT_EQ(table.find(0x1000, 0, key), a->code);
    EXPECT_EQ(table.find(0x1000, 0, JumpTable::key(6, 0xffffffff)), nullptr);
    cache.invalidate_phys_range(0x1000, 0x1001);   // a goes: so does its entry
    EXPECT_EQ(table.find(0x1000, 0, key), nullptr);
    EXPECT_EQ(table.find(0x2040, 0, key), b->code);
    EXPECT_EQ(unattached.find(0x1000, 0, key), a->code);
    table.drop_page(0x2fff, kPageMask);
    EXPECT_EQ(table.find(0x2040, 0, key), nullptr);
    table.set(*b, false);
    cache.flush();                                  // all code goes: every entry too
    EXPECT_EQ(table.find(0x2040, 0, key), nullptr);
    cache.detach(&table);
}

}  // namespace
}  // namespace mimic::tcg::test
