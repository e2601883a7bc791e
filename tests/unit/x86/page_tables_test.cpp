// The debugger's view of the x86 state: info tlb / info mem / x through
// page tables built by hand, and the info registers layout in each mode.
#include "mimic/x86/cpu_dump.h"
#include "mimic/x86/page_tables.h"

#include "mimic/memory/address_space.h"
#include "mimic/memory/memory_region.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <memory>

#include <fmt/format.h>

using namespace mimic;
using namespace mimic::x86;

namespace {

class PageTablesTest : public ::testing::Test {
protected:
    PageTablesTest() {
        system_ = memory::MemoryRegion::make_container("system", UINT64_MAX);
        ram_ = memory::MemoryRegion::make_ram("ram", 16 << 20);
        system_->add_subregion(0, *ram_);
        mem_ = std::make_unique<memory::AddressSpace>(*system_, "memory");
        state_.cr[0] = kCr0PE | kCr0PG;
        state_.hflags = kHfPe | kHfCs32 | kHfSs32;
    }

    void set32(uint64_t pa, uint32_t value) { mem_->stl(pa, value); }
    void set64(uint64_t pa, uint64_t value) { mem_->stq(pa, value); }

    std::unique_ptr<memory::MemoryRegion> system_, ram_;
    std::unique_ptr<memory::AddressSpace> mem_;
    CpuState state_;
};

}  // namespace

TEST_F(PageTablesTest, PagingOff) {
    state_.cr[0] = kCr0PE;
    EXPECT_EQ(info_tlb_text(state_, *mem_), "PG disabled\n");
    EXPECT_EQ(info_mem_text(state_, *mem_), "PG disabled\n");
    EXPECT_EQ(debug_translate(state_, *mem_, 0x12345), 0x12345u);
    state_.a20_mask = ~(1ull << 20);
    EXPECT_EQ(debug_translate(state_, *mem_, 0x112345), 0x12345u);
}

TEST_F(PageTablesTest, TwoLevel32) {
    state_.cr[3] = 0x10000;
    state_.cr[4] = kCr4PSE;
    set32(0x10000 + 0 * 4, 0x11000 | 0x7);           // PDE 0: table, user, writable
    set32(0x11000 + 1 * 4, 0x200000 | 0x1 | 0x20);   // 0x1000 -> 0x200000, read-only, accessed
    set32(0x11000 + 2 * 4, 0x201000 | 0x7 | 0x40);   // 0x2000 -> 0x201000, user rw, dirty
    set32(0x10000 + 3 * 4, 0x00400000 | 0x83);       // 0xc00000: 4 MiB page, rw
    EXPECT_EQ(debug_translate(state_, *mem_, 0x1234), 0x200234u);
    EXPECT_EQ(debug_translate(state_, *mem_, 0xc12345), 0x412345u);
    EXPECT_EQ(debug_translate(state_, *mem_, 0x3000), std::nullopt);
    EXPECT_EQ(info_tlb_text(state_, *mem_),
              "0000000000001000: 0000000000200000 ----A----\n"
              "0000000000002000: 0000000000201000 ---D---UW\n"
              "0000000000c00000: 0000000000400000 --P-----W\n");
    EXPECT_EQ(info_mem_text(state_, *mem_),
              "0000000000001000-0000000000002000 0000000000001000 -r-\n"
              "0000000000002000-0000000000003000 0000000000001000 urw\n"
              "0000000000c00000-0000000001000000 0000000000400000 -rw\n");
    // Reading the tables has no side effects: no accessed bits appear.
    EXPECT_EQ(mem_->ldl(0x10000), 0x11007u);
}

TEST_F(PageTablesTest, FourLevel) {
    state_.cr[3] = 0x20000;
    state_.cr[4] = kCr4PAE;
    state_.efer = kEferLME | kEferLMA | kEferNXE;
    state_.hflags = kHfPe | kHfLma | kHfCs64;
    set64(0x20000 + 511 * 8, 0x21000 | 0x3);                    // PML4[511]: kernel half
    set64(0x21000 + 510 * 8, 0x22000 | 0x3);                    // PDPT[510]
    set64(0x22000 + 0 * 8, 0x600000 | 0x83 | (1ull << 63));     // 2 MiB page, NX
    set64(0x20000 + 0 * 8, 0x23000 | 0x7);                      // PML4[0]
    set64(0x23000 + 1 * 8, 0x40000000 | 0x87);                  // 1 GiB page at 1 GiB, user
    EXPECT_EQ(debug_translate(state_, *mem_, 0xffffffff80001234ull), 0x601234u);
    EXPECT_EQ(debug_translate(state_, *mem_, 0x40000010), 0x40000010u);
    EXPECT_EQ(info_tlb_text(state_, *mem_),
              "0000000040000000: 0000000040000000 --P----UW\n"
              "ffffffff80000000: 0000000000600000 X-P-----W\n");
    EXPECT_EQ(info_mem_text(state_, *mem_),
              "0000000040000000-0000000080000000 0000000040000000 urw\n"
              "ffffffff80000000-ffffffff80200000 0000000000200000 -rw\n");
}

// Tables that point back at themselves: every PML4 entry to one PDPT, every
// PDPT entry to one directory of 2 MiB pages, 2^27 pages in three pages of
// tables. The text comes in pieces of about 64 KiB, in address order (and
// each piece reads a bounded number of entries).
TEST_F(PageTablesTest, AliasedTablesAreWalkedInPieces) {
    state_.cr[3] = 0x20000;
    state_.cr[4] = kCr4PAE;
    state_.efer = kEferLME | kEferLMA;
    state_.hflags = kHfPe | kHfLma | kHfCs64;
    for (uint64_t i = 0; i < 512; ++i) {
        set64(0x20000 + i * 8, 0x21000 | 0x7);
        set64(0x21000 + i * 8, 0x22000 | 0x7);
        set64(0x22000 + i * 8, (i << 21) | 0x87);
    }
    PageTableText tlb(state_, *mem_, PageTableText::Kind::kTlb);
    std::string out;
    uint64_t expected = 0;
    for (int piece = 0; piece < 5; ++piece) {
        out.clear();
        ASSERT_TRUE(tlb.next(out));
        EXPECT_GE(out.size(), PageTableText::kPieceBytes);
        EXPECT_LT(out.size(), PageTableText::kPieceBytes + 100);
        // Picks up where the last piece stopped.
        EXPECT_EQ(out.substr(0, 18), fmt::format("{:016x}: ", expected));
        expected += (std::count(out.begin(), out.end(), '\n')) * (2ull << 20);
    }
    // info mem merges them into one run, across pieces (one PML4 entry
    // left: 2^18 pages, read in a moment).
    for (uint64_t i = 1; i < 512; ++i) set64(0x20000 + i * 8, 0);
    PageTableText mem(state_, *mem_, PageTableText::Kind::kMem);
    out.clear();
    while (mem.next(out)) {}
    EXPECT_EQ(out, "0000000000000000-0000008000000000 0000008000000000 urw\n");
}

TEST_F(PageTablesTest, RegisterLayouts) {
    state_.hflags = kHfPe | kHfLma | kHfCs64;
    state_.regs[0] = 0x1122334455667788ull;
    state_.eip = 0x1000;
    std::string text = format_registers(state_, 0x246);
    EXPECT_EQ(text.substr(0, 35), "RAX=1122334455667788 RBX=0000000000");
    EXPECT_NE(text.find("\nR8 =0000000000000000 R9 =0000000000000000 R10="), std::string::npos);
    EXPECT_NE(text.find("\nRIP=0000000000001000 RFL=00000246 [---Z-P-] CPL=0 II=0 A20=1 SMM=0 HLT=0\n"),
              std::string::npos);
    EXPECT_NE(text.find("XMM15="), std::string::npos);

    state_.hflags = kHfPe | kHfCs32;
    state_.seg[kCS] = {.selector = 0x08, .base = 0, .limit = 0xffffffff, .flags = 0x00cf9b00};
    state_.tr = {.selector = 0x28, .base = 0x1000, .limit = 0x67, .flags = 0x00008b00};
    text = format_registers(state_, 0x2);
    EXPECT_EQ(text.substr(0, 13), "EAX=55667788 ");
    EXPECT_NE(text.find("\nCS =0008 00000000 ffffffff 00cf9b00 DPL=0 CS32 [-RA]\n"), std::string::npos);
    EXPECT_NE(text.find("\nTR =0028 00001000 00000067 00008b00 DPL=0 TSS32-busy\n"), std::string::npos);
    EXPECT_EQ(text.find("XMM08="), std::string::npos);
}
