// Writes to pages holding translated code reach the translator's hook.
#include "mimic/memory/code_tracking.h"

#include <gtest/gtest.h>

#include <vector>

#include "mimic/memory/address_space.h"
#include "mimic/memory/memory_region.h"
#include "mimic/memory/page_bitmap.h"

namespace mimic::memory {
namespace {

TEST(PageBitmap, SetTestClearAndRanges) {
    PageBitmap bits("test", 200);
    EXPECT_TRUE(bits.empty());
    bits.set(3);
    bits.set(130);
    bits.set(130);  // idempotent
    EXPECT_FALSE(bits.empty());
    EXPECT_TRUE(bits.test(3));
    EXPECT_FALSE(bits.test(4));
    EXPECT_TRUE(bits.any(0, 3));
    EXPECT_FALSE(bits.any(4, 129));
    EXPECT_TRUE(bits.any(64, 199));
    EXPECT_TRUE(bits.any(130, 1000));  // clamped to the end
    bits.clear(3);
    EXPECT_FALSE(bits.test(3));
    bits.clear_range(100, 199);
    EXPECT_TRUE(bits.empty());
    bits.set(500);  // out of range: ignored
    EXPECT_TRUE(bits.empty());
}

struct Write {
    MemoryRegion* region;
    uint64_t offset;
    uint64_t length;
    bool operator==(const Write&) const = default;
};

class CodeTrackingTest : public testing::Test {
  protected:
    CodeTrackingTest() {
        root_.init_container("system", UINT64_MAX);
        ram_.init_ram("pc.ram", 0x10000);
        root_.add_subregion(0, ram_);
        alias_.init_alias("ram-alias", ram_, 0x8000, 0x8000);
        root_.add_subregion(0x100000, alias_);
        set_code_write_hook([this](MemoryRegion& region, uint64_t offset, uint64_t length) {
            writes_.push_back({&region, offset, length});
            // What a translator does: invalidate, then stop watching.
            region.ram_block()->code_pages().clear_range(offset >> kPageBits,
                                                         (offset + length - 1) >> kPageBits);
        });
    }
    ~CodeTrackingTest() override { set_code_write_hook(nullptr); }

    PageBitmap& code() { return ram_.ram_block()->code_pages(); }

    std::vector<Write> writes_;
    MemoryRegion root_;
    AddressSpace space_{root_, "memory"};
    MemoryRegion ram_;
    MemoryRegion alias_;
};

TEST_F(CodeTrackingTest, WritesToCodePagesCallTheHook) {
    code().set(0x9);          // guest page at 0x9000
    space_.stl(0x8ffc, 0x1);  // the page before: quiet
    space_.stl(0x9ffc, 0x90909090);
    EXPECT_EQ(writes_, (std::vector<Write>{{&ram_, 0x9ffc, 4}}));
    EXPECT_EQ(ram_.host()[0x9ffc], 0x90);  // stored before the hook ran
    space_.stl(0x9ffc, 0x2);               // the hook stopped watching
    EXPECT_EQ(writes_.size(), 1u);
}

TEST_F(CodeTrackingTest, DmaWritesThroughAliasesAreSeen) {
    code().set(0xa);
    std::vector<uint8_t> data(0x2000, 0xcc);
    space_.write(0x101000, data.data(), data.size());  // ram offsets 0x9000-0xafff
    EXPECT_EQ(writes_, (std::vector<Write>{{&ram_, 0x9000, 0x2000}}));
}

TEST_F(CodeTrackingTest, LoadingFirmwareOverCodeIsSeen) {
    code().set(0x1);
    const uint8_t image[] = {0x90, 0x90};
    space_.write_rom(0x1000, image, sizeof image);
    EXPECT_EQ(writes_, (std::vector<Write>{{&ram_, 0x1000, 2}}));
}

TEST_F(CodeTrackingTest, CodePagesAreNotMappedWritable) {
    EXPECT_TRUE(space_.translate(0x3000).writable);
    code().set(0x3);
    Translation t = space_.translate(0x3123);
    EXPECT_FALSE(t.writable);
    EXPECT_EQ(t.host, ram_.host() + 0x3123);  // still readable directly
}

// VGA-style dirty logging: what the guest wrote since the last refresh.
TEST_F(CodeTrackingTest, DirtyLoggingRecordsGuestWrites) {
    int flushes = 0;
    uint64_t id = space_.add_listener([&](const AddressSpace&, const FlatView&) { ++flushes; });
    EXPECT_TRUE(space_.translate(0x2000).writable);
    ram_.set_dirty_logging(true);
    EXPECT_EQ(flushes, 1);  // TLBs must drop their writable entries
    EXPECT_FALSE(space_.translate(0x2000).writable);
    EXPECT_FALSE(ram_.test_and_clear_dirty(0, 0x10000));

    space_.stb(0x2001, 1);
    const uint8_t data[3] = {};
    space_.write(0x100000 + 0x0fff, data, sizeof data);  // alias: RAM 0x8fff-0x9001
    EXPECT_FALSE(ram_.test_and_clear_dirty(0x3000, 0x5000));
    EXPECT_TRUE(ram_.test_and_clear_dirty(0x2000, 0x1000));
    EXPECT_FALSE(ram_.test_and_clear_dirty(0x2000, 0x1000));  // cleared
    EXPECT_TRUE(ram_.ram_block()->dirty_pages().test(0x8));
    EXPECT_TRUE(ram_.ram_block()->dirty_pages().test(0x9));

    ram_.set_dirty_logging(false);
    EXPECT_EQ(flushes, 2);
    space_.stb(0x4000, 1);
    EXPECT_FALSE(ram_.test_and_clear_dirty(0x4000, 1));
    space_.remove_listener(id);
}

}  // namespace
}  // namespace mimic::memory
