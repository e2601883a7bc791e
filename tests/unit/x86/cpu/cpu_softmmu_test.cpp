// The softmmu slow path's flagged TLB entries: device pages and stores to
// pages holding translated code are served from the TLB without a page
// walk, so (as on hardware) they keep using the cached translation when the
// page tables change behind the TLB's back, until an INVLPG.
#include "cpu_harness.h"
#include "mimic/tcg/tlb.h"

namespace mimic::x86::test {
namespace {

class Softmmu : public CpuFixture {
protected:
    static constexpr uint64_t kDevice = 0xe0000000;

    void SetUp() override {
        CpuFixture::SetUp();
        memory::MmioOps ops;
        ops.read = [this](uint64_t offset, unsigned) -> uint64_t { return 0xd0000000 + offset + ++device_reads_; };
        ops.write = [this](uint64_t, uint64_t v, unsigned) { device_writes_.push_back(static_cast<uint32_t>(v)); };
        ops.valid = {1, 4, false};
        device_ = memory::MemoryRegion::make_io("counting-device", 0x1000, ops);
        system_->add_subregion(kDevice, *device_);
    }

    // 32-bit paging: the first 4 MiB identity-mapped, the next 4 MiB by the
    // page table at 0x202000 (its entries set by the test).
    void enable_paging() {
        wr32(0x200000, 0x201000 | 3);
        wr32(0x200004, 0x202000 | 3);
        for (uint32_t i = 0; i < 1024; ++i) wr32(0x201000 + i * 4, i * 0x1000 | 3);
        st().cr[3] = 0x200000;
        st().cr[0] |= 0x80000000u;
        update();
    }

    // Whether the TLB entry of vaddr's page holds `tag` (in any MMU mode).
    bool tlb_holds(const uint64_t (&tags)[tcg::kNumMmuModes][tcg::kTlbCapacity], uint64_t vaddr, uint64_t tag) {
        for (unsigned m = 0; m < tcg::kNumMmuModes; ++m)
            if (tags[m][st().tlb.index(m, vaddr)] == tag) return true;
        return false;
    }

    bool resume() {
        st().halted = false;
        return run();
    }

    std::unique_ptr<memory::MemoryRegion> device_;
    unsigned device_reads_ = 0;
    std::vector<uint32_t> device_writes_;
};

TEST_P(Softmmu, DevicePageIsServedFromTheTlbUntilInvlpg) {
    enable_paging();
    wr32(0x202000, kDevice | 3);
    wr32(0x300000, 0x5555);
    protected_mode(R"(
        mov 0x400000, %ebx
        movl $0x11, 0x400004
        movl $0x00300003, 0x202000   # the page now maps RAM, but the TLB has not been told
        mov 0x400000, %ecx
        movl $0x22, 0x400004
        hlt
        invlpg 0x400000
        mov 0x400000, %edx
        movl $0x33, 0x400004
        hlt
    )");
    ASSERT_TRUE(run());
    EXPECT_EQ(device_reads_, 2u);
    EXPECT_EQ(reg(kRBX), 0xd0000001u);
    EXPECT_EQ(reg(kRCX), 0xd0000002u);
    EXPECT_EQ(device_writes_, (std::vector<uint32_t>{0x11, 0x22}));
    EXPECT_TRUE(tlb_holds(st().tlb.addr_read, 0x400000, 0x400000 | tcg::kTlbFlagMmio));
    EXPECT_TRUE(tlb_holds(st().tlb.addr_write, 0x400000, 0x400000 | tcg::kTlbFlagMmio));
    ASSERT_TRUE(resume());
    EXPECT_EQ(reg(kRDX), 0x5555u);
    EXPECT_EQ(rd32(0x300004), 0x33u);
    EXPECT_EQ(device_reads_, 2u);
    EXPECT_EQ(device_writes_.size(), 2u);
}

TEST_P(Softmmu, CodePageStoresUseTheCachedEntry) {
    // 0x401000 aliases the code page at 0x10000; data shares it with code.
    enable_paging();
    wr32(0x202004, 0x10000 | 3);
    protected_mode(R"(
        call func
        mov %eax, %esi
        movl $0x99, data + 0x3f1000
        movl $0x00300003, 0x202004   # the alias now maps 0x300000, but the TLB has not been told
        movl $0x77, data + 0x3f1000
        movl $7, func + 1 + 0x3f1000 # patches func through the cached alias
        call func
        mov %eax, %edi
        hlt
    func:
        mov $5, %eax
        ret
    data:
        .long 0
    )");
    const uint64_t before = cpu_->translated_blocks();
    ASSERT_TRUE(run());
    EXPECT_EQ(reg(kRSI), 5u);
    EXPECT_EQ(reg(kRDI), 7u);
    EXPECT_TRUE(tlb_holds(st().tlb.addr_write, 0x401000, 0x401000 | tcg::kTlbFlagCode));
    uint32_t found = 0;   // data's address: the one word of the code page holding 0x77
    for (uint32_t a = 0x10000; a < 0x10100; ++a)
        if (rd32(a) == 0x77) found = a;
    EXPECT_NE(found, 0u) << "the second store went through the stale alias";
    for (uint32_t a = 0x300000; a < 0x300100; a += 4) ASSERT_EQ(rd32(a), 0u) << a;
    // Main blocks (2 or 3), func twice: no store beside the code retranslated anything.
    EXPECT_LE(cpu_->translated_blocks() - before, 6u);
}

TEST_P(Softmmu, CodeFlagLeavesWithThePagesLastBlock) {
    // A function alone on page 0x20000, data right after it.
    load(0x20000, assemble(".code32\nmov $5, %eax\nret\n.long 0\n", 0x20000));
    protected_mode(R"(
        mov $0x20000, %ebx
        call *%ebx
        mov %eax, %esi
        movl $0x99, 0x20008     # beside the code
        hlt
        movl $7, 0x20001        # into it: the page's only block goes
        movl $0x98, 0x20008
        hlt
        call *%ebx              # translated again: the page holds code again
        mov %eax, %edi
        movl $0x97, 0x20008
        hlt
    )");
    ASSERT_TRUE(run());
    EXPECT_EQ(reg(kRSI), 5u);
    EXPECT_TRUE(tlb_holds(st().tlb.addr_write, 0x20000, 0x20000 | tcg::kTlbFlagCode));
    ASSERT_TRUE(resume());
    EXPECT_TRUE(tlb_holds(st().tlb.addr_write, 0x20000, 0x20000));
    EXPECT_EQ(rd32(0x20008), 0x98u);
    ASSERT_TRUE(resume());
    EXPECT_EQ(reg(kRDI), 7u);
    EXPECT_EQ(rd32(0x20008), 0x97u);
    EXPECT_TRUE(tlb_holds(st().tlb.addr_write, 0x20000, 0x20000 | tcg::kTlbFlagCode));
}

INSTANTIATE_TEST_SUITE_P(Backends, Softmmu, kBackends, backend_name);

}  // namespace
}  // namespace mimic::x86::test
