// VgaCore in-process: what render() makes of text, planar, chain-4 and VBE
// state programmed through the ports, as screendump and display back ends
// will see it. Writes a PPM of a VBE frame for inspection.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "mimic/hw/vga.h"

using mimic::hw::VgaCore;
using mimic::hw::VgaScreen;

namespace {

struct Fixture {
    std::vector<uint8_t> vram = std::vector<uint8_t>(16 << 20);
    VgaCore vga{vram.data(), static_cast<uint32_t>(vram.size())};

    void seq(uint8_t index, uint8_t value) { vga.ioport_write(0x3c4, index), vga.ioport_write(0x3c5, value); }
    void gc(uint8_t index, uint8_t value) { vga.ioport_write(0x3ce, index), vga.ioport_write(0x3cf, value); }
    void crtc(uint8_t index, uint8_t value) { vga.ioport_write(0x3d4, index), vga.ioport_write(0x3d5, value); }
    void attr(uint8_t index, uint8_t value) {
        vga.ioport_read(0x3da);
        vga.ioport_write(0x3c0, index);
        vga.ioport_write(0x3c0, value);
    }
    void enable_display() {
        vga.ioport_read(0x3da);
        vga.ioport_write(0x3c0, 0x20);
    }
    void dac(uint8_t index, uint8_t r, uint8_t g, uint8_t b) {
        vga.ioport_write(0x3c8, index);
        vga.ioport_write(0x3c9, r);
        vga.ioport_write(0x3c9, g);
        vga.ioport_write(0x3c9, b);
    }
    // The register values of BIOS mode 3 (80x25 text) that rendering uses.
    void mode3() {
        vga.ioport_write(0x3c2, 0x67);
        seq(1, 0x00);
        seq(2, 0x03);
        seq(3, 0x00);
        seq(4, 0x02);
        gc(5, 0x10);
        gc(6, 0x0e);
        gc(8, 0xff);
        crtc(0x01, 0x4f);
        crtc(0x07, 0x1f);
        crtc(0x09, 0x4f);
        crtc(0x0a, 0x0d);
        crtc(0x0b, 0x0e);
        crtc(0x12, 0x8f);
        crtc(0x13, 0x28);
        crtc(0x17, 0xa3);  // byte/word mode, no CGA line banking
        for (int i = 0; i < 16; ++i) attr(static_cast<uint8_t>(i), static_cast<uint8_t>(i));
        attr(0x10, 0x0c);
        attr(0x12, 0x0f);
        dac(0x00, 0, 0, 0);
        dac(0x01, 0, 0, 0x2a);
        dac(0x0f, 0x3f, 0x3f, 0x3f);
        enable_display();
    }
    void put_text(uint32_t cell, const std::string& text, uint8_t attribute) {
        for (size_t i = 0; i < text.size(); ++i) {
            vga.mem_write(0x18000 + 2 * (cell + i), static_cast<uint8_t>(text[i]));
            vga.mem_write(0x18000 + 2 * (cell + i) + 1, attribute);
        }
    }
};

}  // namespace

TEST(VgaRender, TextCellsAndCursor) {
    Fixture f;
    f.mode3();
    f.put_text(0, "Hello, VGA", 0x1f);
    f.put_text(80 * 24 + 70, "bottom", 0x07);
    f.crtc(0x0e, 0x00);
    f.crtc(0x0f, 81);  // row 1, column 1
    VgaScreen screen = f.vga.render(false);
    ASSERT_EQ(screen.kind, VgaScreen::Kind::kText);
    EXPECT_EQ(screen.cols, 80);
    EXPECT_EQ(screen.rows, 25);
    EXPECT_EQ(screen.row_text(0).substr(0, 10), "Hello, VGA");
    EXPECT_EQ(screen.cells[0].attr, 0x1f);
    EXPECT_EQ(screen.row_text(24).substr(70, 6), "bottom");
    EXPECT_EQ(screen.cursor_row, 1);
    EXPECT_EQ(screen.cursor_col, 1);

    // The start address scrolls by whole rows.
    f.crtc(0x0c, 0);
    f.crtc(0x0d, 80);
    screen = f.vga.render(false);
    EXPECT_EQ(screen.row_text(23).substr(70, 6), "bottom");
}

TEST(VgaRender, TextPixelsUseTheFontInPlane2) {
    Fixture f;
    f.mode3();
    // Load a glyph for 'A' into plane 2 the way a BIOS does.
    f.seq(2, 0x04);
    f.seq(4, 0x06);
    f.gc(5, 0x00);
    f.gc(6, 0x04);
    for (int line = 0; line < 16; ++line) f.vga.mem_write('A' * 32 + line, line == 3 ? 0xff : 0x80);
    f.mode3();
    f.put_text(0, "A", 0x1f);
    VgaScreen screen = f.vga.render(true);
    ASSERT_EQ(screen.width, 720);
    ASSERT_EQ(screen.height, 400);
    auto pixel = [&](int x, int y) {
        const uint8_t* p = &screen.rgb[(static_cast<size_t>(y) * screen.width + x) * 3];
        return static_cast<uint32_t>(p[0] << 16 | p[1] << 8 | p[2]);
    };
    EXPECT_EQ(pixel(0, 0), 0xffffffu);  // the glyph's left column: foreground white
    EXPECT_EQ(pixel(1, 0), 0x0000aau);  // background blue
    EXPECT_EQ(pixel(5, 3), 0xffffffu);  // the full line
}

TEST(VgaRender, PlanarWriteModesAndChain4) {
    Fixture f;
    f.mode3();
    // Mode 12h-like planar: write mode 2 sets colour per pixel.
    f.seq(4, 0x06);  // odd/even off
    f.gc(5, 0x02);   // write mode 2
    f.gc(6, 0x05);   // graphics, A0000 64 KiB
    f.gc(8, 0x80);   // leftmost pixel only
    f.seq(2, 0x0f);
    f.vga.mem_read(0);  // load latches
    f.vga.mem_write(0, 0x0c);
    f.gc(5, 0x00);
    f.gc(4, 2);
    EXPECT_EQ(f.vga.mem_read(0), 0x80);  // plane 2 has the bit
    f.gc(4, 0);
    EXPECT_EQ(f.vga.mem_read(0), 0x00);
    // Read mode 1: colour compare.
    f.gc(5, 0x08);
    f.gc(2, 0x0c);
    f.gc(7, 0x0f);
    EXPECT_EQ(f.vga.mem_read(0), 0x80);

    // Chain-4 (mode 13h): bytes are pixels.
    f.seq(4, 0x0e);
    f.gc(5, 0x40);
    f.crtc(0x01, 0x4f);
    f.crtc(0x09, 0x41);
    f.crtc(0x12, 0x8f);
    f.crtc(0x07, 0x1f);
    f.crtc(0x13, 0x28);
    f.dac(7, 0x3f, 0, 0);
    f.vga.mem_write(320 * 10 + 5, 7);
    VgaScreen screen = f.vga.render(true);
    ASSERT_EQ(screen.kind, VgaScreen::Kind::kGraphics);
    EXPECT_EQ(screen.width, 320);
    EXPECT_EQ(screen.height, 200);
    const uint8_t* p = &screen.rgb[(10 * 320 + 5) * 3];
    EXPECT_EQ(p[0], 0xff);
    EXPECT_EQ(p[1], 0);
}

TEST(VgaRender, CgaFourColoursWithBankedLines) {
    // Mode 4: 320x200, 2 bits a pixel, even lines at B8000, odd at BA000.
    Fixture f;
    f.mode3();
    f.seq(1, 0x09);
    f.seq(4, 0x02);   // odd/even
    f.gc(5, 0x30);    // shift interleave, odd/even
    f.gc(6, 0x0f);    // graphics, B8000 32 KiB, chain odd/even
    f.crtc(0x01, 0x27);
    f.crtc(0x09, 0xc1);
    f.crtc(0x13, 0x14);
    f.crtc(0x17, 0xa2);  // CGA banking by line bit 0
    f.attr(0x10, 0x01);
    f.attr(0x12, 0x03);
    f.attr(1, 1), f.attr(2, 2), f.attr(3, 3);
    f.dac(1, 0, 0x3f, 0x3f);
    f.dac(2, 0x3f, 0, 0x3f);
    f.dac(3, 0x3f, 0x3f, 0x3f);
    f.enable_display();
    // Line 0: pixels 0..3 = colours 3, 2, 1, 0; line 1 (the odd bank):
    // pixel 4 = colour 2; line 2: pixel 0 = colour 1.
    f.vga.mem_write(0x18000, 0xe4);
    f.vga.mem_write(0x18000 + 0x2000 + 1, 0x80);
    f.vga.mem_write(0x18000 + 80, 0x40);
    VgaScreen screen = f.vga.render(true);
    ASSERT_EQ(screen.kind, VgaScreen::Kind::kGraphics);
    ASSERT_EQ(screen.width, 320);
    ASSERT_EQ(screen.height, 200);
    auto px = [&](int x, int y) {
        const uint8_t* p = &screen.rgb[(static_cast<size_t>(y) * 320 + x) * 3];
        return static_cast<uint32_t>(p[0] << 16 | p[1] << 8 | p[2]);
    };
    EXPECT_EQ(px(0, 0), 0xffffffu);
    EXPECT_EQ(px(1, 0), 0xff00ffu);
    EXPECT_EQ(px(2, 0), 0x00ffffu);
    EXPECT_EQ(px(3, 0), 0u);
    EXPECT_EQ(px(4, 1), 0xff00ffu);
    EXPECT_EQ(px(4, 0), 0u);
    EXPECT_EQ(px(0, 2), 0x00ffffu);
    EXPECT_EQ(px(0, 1), 0u);
}

TEST(VgaRender, VbeFrameToPpm) {
    Fixture f;
    auto vbe = [&](uint16_t index, uint16_t value) {
        f.vga.vbe_set_index(index);
        f.vga.vbe_write(value);
    };
    vbe(1, 64);
    vbe(2, 32);
    vbe(3, 32);
    vbe(4, 0x41);
    ASSERT_TRUE(f.vga.vbe_enabled());
    for (int y = 0; y < 32; ++y) {
        for (int x = 0; x < 64; ++x) {
            uint8_t* px = &f.vram[(y * 64 + x) * 4];
            px[0] = static_cast<uint8_t>(x * 4);  // blue
            px[1] = static_cast<uint8_t>(y * 8);  // green
            px[2] = 0x80;                          // red
        }
    }
    VgaScreen screen = f.vga.render(true);
    ASSERT_EQ(screen.width, 64);
    ASSERT_EQ(screen.height, 32);
    const uint8_t* p = &screen.rgb[(5 * 64 + 10) * 3];
    EXPECT_EQ(p[0], 0x80);
    EXPECT_EQ(p[1], 40);
    EXPECT_EQ(p[2], 40);
    auto ppm = screen.ppm();
    std::string path = (std::filesystem::path(testing::TempDir()) / "vga-vbe.ppm").string();
    std::ofstream(path, std::ios::binary).write(reinterpret_cast<const char*>(ppm.data()),
                                               static_cast<std::streamsize>(ppm.size()));
    EXPECT_EQ(std::string(ppm.begin(), ppm.begin() + 9), "P6\n64 32\n");
    EXPECT_EQ(ppm.size(), 13 + 64u * 32 * 3);

    // Panning moves the start.
    vbe(9, 1);
    screen = f.vga.render(true);
    EXPECT_EQ(screen.rgb[(5 * 64 + 10) * 3 + 1], 48);
}
