// The EDID generator against QEMU 7.2's blobs, and the invariants every
// blob must hold (block checksums, extension count, preferred timing).
#include "mimic/hw/edid.h"

#include <gtest/gtest.h>

#include <cstdio>
#include <string>
#include <vector>

#include "../../support/qemu_edid_blobs.h"

using mimic::hw::EdidInfo;
using mimic::hw::generate_edid;

namespace {

std::string hex(const std::vector<uint8_t>& bytes) {
    std::string out;
    char buf[3];
    for (uint8_t b : bytes) {
        std::snprintf(buf, sizeof buf, "%02x", b);
        out += buf;
    }
    return out;
}

struct Golden {
    const char* qemu_args;
    EdidInfo info;
    const char* blob;  // 384 bytes, hex
};

// The first 384 bytes of the std VGA's BAR2 under QEMU 7.2 (Debian
// 1:7.2+dfsg-7+deb12u18), which keeps its EDID in a 384-byte buffer:
//   qemu-system-x86_64 -qtest stdio -display none -nodefaults <qemu_args>
// with BAR2 programmed to 0xfe000000, memory decoding on, and
// "read 0xfe000000 0x180".
const Golden kGolden[] = {
    {"-device VGA",
     {},
     mimic::test::kQemuEdidDefault},
    {"-device VGA,xres=1024,yres=768",
     {.prefx = 1024, .prefy = 768},
     mimic::test::kQemuEdid1024x768},
    {"-device VGA,xres=4096,yres=2160",
     {.prefx = 4096, .prefy = 2160},
     "00ffffffffffff0049143412000000002a180104a568367806ee91a3544c9926"
     "0f5054210800e1c0d1c0d100a940b300950081808140000000f7000a00408200"
     "2820000000000000000000fd00327d1ea0ff010a202020202020000000fc0051"
     "454d55204d6f6e69746f720a0000001000000000000000000000000000000271"
     "02030b00467d6560591f61000000100000000000000000000000000000000000"
     "1000000000000000000000000000000000001000000000000000000000000000"
     "0000000010000000000000000000000000000000000010000000000000000000"
     "000000000000000010000000000000000000000000000000000000000000002f"
     "7013170300030014076a0188ff0f9805ff0379006f084a0009000900c9000000"
     "0000000000000000000000000000000000000000000000000000000000000000"
     "0000000000000000000000000000000000000000000000000000000000000000"
     "0000000000000000000000000000000000000000000000000000000000000090"},
    {"-device VGA,xmax=1024,ymax=768",
     {.maxx = 1024, .maxy = 768},
     "00ffffffffffff0049143412000000002a180104a520147806ee91a3544c9926"
     "0f505421080001010101010101010101010101010101ea2900c051201c304026"
     "444045cb10000018000000f7000a000000000000000000000000000000fd0032"
     "7d1ea0ff010a202020202020000000fc0051454d55204d6f6e69746f720a012a"
     "0203050040000000100000000000000000000000000000000000100000000000"
     "0000000000000000000000001000000000000000000000000000000000001000"
     "0000000000000000000000000000000010000000000000000000000000000000"
     "0000100000000000000000000000000000000000000000000000000000000056"
     "0000000000000000000000000000000000000000000000000000000000000000"
     "0000000000000000000000000000000000000000000000000000000000000000"
     "0000000000000000000000000000000000000000000000000000000000000000"
     "0000000000000000000000000000000000000000000000000000000000000000"},
    {"-device VGA,refresh_rate=60000",
     {.refresh_rate = 60000},
     "00ffffffffffff0049143412000000002a180104a520147806ee91a3544c9926"
     "0f5054210800e1c0d1c0d100a940b300950081808140882100c051201c304026"
     "444045cb10000018000000f7000a004082002820000000000000000000fd0032"
     "7d1ea0ff010a202020202020000000fc0051454d55204d6f6e69746f720a01a4"
     "02030b00467d6560591f61000000100000000000000000000000000000000000"
     "1000000000000000000000000000000000001000000000000000000000000000"
     "0000000010000000000000000000000000000000000010000000000000000000"
     "000000000000000010000000000000000000000000000000000000000000002f"
     "0000000000000000000000000000000000000000000000000000000000000000"
     "0000000000000000000000000000000000000000000000000000000000000000"
     "0000000000000000000000000000000000000000000000000000000000000000"
     "0000000000000000000000000000000000000000000000000000000000000000"},
    {"-device VGA,xres=1920,yres=1080",
     {.prefx = 1920, .prefy = 1080},
     "00ffffffffffff0049143412000000002a180104a5301b7806ee91a3544c9926"
     "0f5054210800e1c0d1c0d100a940b300950081808140d25480a072382540e039"
     "5540e71211000018000000f7000a004082002820000000000000000000fd0032"
     "7d1ea0ff010a202020202020000000fc0051454d55204d6f6e69746f720a01b0"
     "02030b00467d6560591f61000000100000000000000000000000000000000000"
     "1000000000000000000000000000000000001000000000000000000000000000"
     "0000000010000000000000000000000000000000000010000000000000000000"
     "000000000000000010000000000000000000000000000000000000000000002f"
     "0000000000000000000000000000000000000000000000000000000000000000"
     "0000000000000000000000000000000000000000000000000000000000000000"
     "0000000000000000000000000000000000000000000000000000000000000000"
     "0000000000000000000000000000000000000000000000000000000000000000"},
    {"-device VGA,xres=640,yres=480",
     {.prefx = 640, .prefy = 480},
     "00ffffffffffff0049143412000000002a180104a5100c7806ee91a3544c9926"
     "0f5054210800e1c0d1c0d100a940b3009500818081408e0c80e020e01010a013"
     "2200a27900000018000000f7000a004082002820000000000000000000fd0032"
     "7d1ea0ff010a202020202020000000fc0051454d55204d6f6e69746f720a01e2"
     "02030b00467d6560591f61000000100000000000000000000000000000000000"
     "1000000000000000000000000000000000001000000000000000000000000000"
     "0000000010000000000000000000000000000000000010000000000000000000"
     "000000000000000010000000000000000000000000000000000000000000002f"
     "0000000000000000000000000000000000000000000000000000000000000000"
     "0000000000000000000000000000000000000000000000000000000000000000"
     "0000000000000000000000000000000000000000000000000000000000000000"
     "0000000000000000000000000000000000000000000000000000000000000000"},
};

TEST(Edid, MatchesQemu) {
    for (const Golden& g : kGolden)
        EXPECT_EQ(hex(generate_edid(g.info, 384)), g.blob) << g.qemu_args;
}

TEST(Edid, EveryBlockSumsToZero) {
    for (size_t size : {128, 256, 384, 1024}) {
        for (uint32_t x : {640u, 1024u, 1280u, 2560u, 4096u, 5120u}) {
            std::vector<uint8_t> edid = generate_edid({.prefx = x, .prefy = x * 9 / 16}, size);
            ASSERT_EQ(edid.size(), size);
            size_t blocks = 1 + edid[126];
            ASSERT_LE(blocks * 128, size);
            for (size_t b = 0; b < blocks; ++b) {
                unsigned sum = 0;
                for (size_t i = 0; i < 128; ++i) sum += edid[128 * b + i];
                EXPECT_EQ(sum % 256, 0u) << "size " << size << " xres " << x << " block " << b;
            }
        }
    }
}

TEST(Edid, ExtensionsFollowSizeAndScreen) {
    EXPECT_EQ(generate_edid({}, 128)[126], 0);
    EXPECT_EQ(generate_edid({}, 256)[126], 1);
    EXPECT_EQ(generate_edid({}, 384)[126], 1);
    EXPECT_EQ(generate_edid({.prefx = 4096, .prefy = 2160}, 256)[126], 1);
    std::vector<uint8_t> large = generate_edid({.prefx = 4096, .prefy = 2160}, 384);
    EXPECT_EQ(large[126], 2);
    EXPECT_EQ(large[128], 0x02);  // CEA-861
    EXPECT_EQ(large[256], 0x70);  // DisplayID
    EXPECT_THROW(generate_edid({}, 127), std::invalid_argument);
}

// The first descriptor is the detailed timing of the preferred mode.
TEST(Edid, PreferredTimingIsTheRequestedMode) {
    struct Case {
        uint32_t xres, yres;
    };
    for (Case c :
         {Case{0, 0}, Case{1024, 768}, Case{800, 600}, Case{1920, 1080}, Case{4095, 2304}}) {
        std::vector<uint8_t> edid = generate_edid({.prefx = c.xres, .prefy = c.yres}, 256);
        const uint8_t* dtd = edid.data() + 54;
        uint32_t xres = dtd[2] | (dtd[4] & 0xf0) << 4;
        uint32_t yres = dtd[5] | (dtd[7] & 0xf0) << 4;
        EXPECT_EQ(xres, c.xres ? c.xres : mimic::hw::kEdidDefaultXres);
        EXPECT_EQ(yres, c.yres ? c.yres : mimic::hw::kEdidDefaultYres);
        EXPECT_NE(dtd[0] | dtd[1], 0) << "pixel clock";
        EXPECT_EQ(edid[24] & 0x02, 0x02) << "first descriptor is the preferred mode";
    }
}

TEST(Edid, NameAndSerialDescriptors) {
    std::vector<uint8_t> edid =
        generate_edid({.vendor = "ABC", .name = "A very long monitor name", .serial = "4711"}, 256);
    EXPECT_EQ(edid[8], 0x04);  // 'A' 'B' 'C' as 5-bit letters
    EXPECT_EQ(edid[9], 0x43);
    EXPECT_EQ(edid[12] | edid[13] << 8, 4711);
    // DTD, timings III, range limits, then the name (cut at 12 characters).
    EXPECT_EQ(edid[108 + 3], 0xfc);
    EXPECT_EQ(std::string(edid.begin() + 108 + 5, edid.begin() + 108 + 18), "A very long \n");
    // The serial text goes to the first descriptor slot of the extension.
    size_t slot = 128 + edid[128 + 2];
    EXPECT_EQ(edid[slot + 3], 0xff);
    EXPECT_EQ(std::string(edid.begin() + slot + 5, edid.begin() + slot + 18), "4711\n        ");
}

}  // namespace
