// The console layer: listeners, resizes, and the VGA's incremental updates
// (only what the dirty bitmap or the text cache says changed is redrawn).
#include <gtest/gtest.h>

#include <cstring>
#include <string>
#include <vector>

#include "mimic/hw/vga.h"
#include "mimic/memory/page_bitmap.h"
#include "mimic/ui/console.h"
#include "vga_display.h"

using mimic::hw::VgaCore;
using mimic::hw::VgaDisplay;
using mimic::ui::Console;
using mimic::ui::DisplaySurface;
using mimic::ui::Rect;

namespace {

struct Recorder : mimic::ui::DisplayChangeListener {
    std::vector<std::pair<int, int>> switches;
    std::vector<Rect> updates;
    int refreshes = 0;
    void gfx_switch(const DisplaySurface& s) override { switches.emplace_back(s.width(), s.height()); }
    void gfx_update(const Rect& r) override { updates.push_back(r); }
    void refresh() override { ++refreshes; }
    // The union of the updates since the last call.
    Rect take() {
        Rect all;
        for (const Rect& r : updates) all = all.united(r);
        updates.clear();
        return all;
    }
};

constexpr uint32_t kVramSize = 4 << 20;

struct Vga {
    std::vector<uint8_t> vram = std::vector<uint8_t>(kVramSize);
    mimic::memory::PageBitmap dirty{"test-vram", kVramSize >> mimic::memory::kPageBits};
    VgaCore core{vram.data(), kVramSize};
    VgaDisplay display{core, [this](bool on) { core.set_dirty_bitmap(on ? &dirty : nullptr); }};
    Console console{&display, "test"};
    Recorder listener;

    Vga() = default;
    void vbe(uint16_t index, uint16_t value) {
        core.vbe_set_index(index);
        core.vbe_write(value);
    }
    void vbe_mode(int width, int height, int bpp) {
        vbe(4, 0);
        vbe(1, static_cast<uint16_t>(width));
        vbe(2, static_cast<uint16_t>(height));
        vbe(3, static_cast<uint16_t>(bpp));
        vbe(4, 0x41);
    }
    // A guest store through the linear framebuffer: the memory API records it.
    void lfb_write32(uint32_t offset, uint32_t value) {
        std::memcpy(&vram[offset], &value, 4);
        dirty.set(offset >> mimic::memory::kPageBits);
    }
    void seq(uint8_t i, uint8_t v) { core.ioport_write(0x3c4, i), core.ioport_write(0x3c5, v); }
    void gc(uint8_t i, uint8_t v) { core.ioport_write(0x3ce, i), core.ioport_write(0x3cf, v); }
    void crtc(uint8_t i, uint8_t v) { core.ioport_write(0x3d4, i), core.ioport_write(0x3d5, v); }
    void attr(uint8_t i, uint8_t v) {
        core.ioport_read(0x3da);
        core.ioport_write(0x3c0, i);
        core.ioport_write(0x3c0, v);
    }
    void dac(uint8_t i, uint8_t r, uint8_t g, uint8_t b) {
        core.ioport_write(0x3c8, i);
        core.ioport_write(0x3c9, r);
        core.ioport_write(0x3c9, g);
        core.ioport_write(0x3c9, b);
    }
    void mode3() {
        core.ioport_write(0x3c2, 0x67);
        seq(1, 0x00), seq(2, 0x03), seq(3, 0x00), seq(4, 0x02);
        gc(5, 0x10), gc(6, 0x0e), gc(8, 0xff);
        crtc(0x01, 0x4f), crtc(0x07, 0x1f), crtc(0x09, 0x4f), crtc(0x0a, 0x0d), crtc(0x0b, 0x0e);
        crtc(0x12, 0x8f), crtc(0x13, 0x28), crtc(0x17, 0xa3);
        for (int i = 0; i < 16; ++i) attr(static_cast<uint8_t>(i), static_cast<uint8_t>(i));
        attr(0x10, 0x0c), attr(0x12, 0x0f);
        dac(0x00, 0, 0, 0), dac(0x01, 0, 0, 0x2a), dac(0x0f, 0x3f, 0x3f, 0x3f);
        core.ioport_read(0x3da);
        core.ioport_write(0x3c0, 0x20);
        // A font: glyph 'A' all set in plane 2 (map 0).
        seq(2, 0x04), seq(4, 0x06), gc(4, 0x02), gc(5, 0x00), gc(6, 0x04);
        for (int line = 0; line < 16; ++line) core.mem_write(static_cast<uint32_t>('A' * 32 + line), 0xff);
        seq(2, 0x03), seq(4, 0x02), gc(4, 0x00), gc(5, 0x10), gc(6, 0x0e);
    }
    void put_char(int cell, char ch, uint8_t attribute) {
        core.mem_write(0x18000 + 2 * static_cast<uint32_t>(cell), static_cast<uint8_t>(ch));
        core.mem_write(0x18000 + 2 * static_cast<uint32_t>(cell) + 1, attribute);
    }
    // The surface must show exactly what a full render() draws.
    void expect_surface_matches_render() {
        mimic::hw::VgaScreen screen = core.render(true);
        const DisplaySurface& s = console.surface();
        ASSERT_EQ(s.width(), screen.width);
        ASSERT_EQ(s.height(), screen.height);
        EXPECT_EQ(s.rgb(), screen.rgb);
    }
};

}  // namespace

TEST(Console, ListenersSeeTheSurfaceAndItsResizes) {
    Console console(nullptr);
    Recorder a, b;
    console.add_listener(a);
    ASSERT_EQ(a.switches.size(), 1u);
    EXPECT_EQ(a.switches[0], std::make_pair(640, 480));
    console.add_listener(b);
    console.resize(800, 600);
    EXPECT_EQ(a.switches.back(), std::make_pair(800, 600));
    EXPECT_EQ(b.switches.back(), std::make_pair(800, 600));
    console.update({790, 590, 100, 100});  // clipped to the surface
    ASSERT_EQ(a.updates.size(), 1u);
    EXPECT_EQ(a.updates[0], (Rect{790, 590, 10, 10}));
    console.update({900, 0, 10, 10});  // entirely outside: nothing
    EXPECT_EQ(a.updates.size(), 1u);
    console.remove_listener(a);
    console.update({0, 0, 1, 1});
    EXPECT_EQ(a.updates.size(), 1u);
    EXPECT_EQ(b.updates.size(), 2u);
    console.refresh();
    EXPECT_EQ(b.refreshes, 1);
    EXPECT_EQ(a.refreshes, 0);
    EXPECT_EQ(Console::find(console.index()), &console);
}

TEST(Console, ListenerMayLeaveFromItsOwnCallback) {
    Console console(nullptr);
    struct Leaver : Recorder {
        Console* console = nullptr;
        void gfx_update(const Rect& r) override {
            Recorder::gfx_update(r);
            console->remove_listener(*this);
        }
    } leaver;
    Recorder other;
    leaver.console = &console;
    console.add_listener(leaver);
    console.add_listener(other);
    console.update({0, 0, 4, 4});
    console.update({0, 0, 4, 4});
    EXPECT_EQ(leaver.updates.size(), 1u);
    EXPECT_EQ(other.updates.size(), 2u);
}

TEST(VgaConsole, VbeLinesRedrawOnlyWhereMemoryIsDirty) {
    Vga vga;
    vga.vbe_mode(256, 64, 32);  // 1 KiB a line: 4 lines a page
    vga.console.add_listener(vga.listener);
    EXPECT_EQ(vga.listener.switches.back(), std::make_pair(256, 64));
    vga.listener.take();
    vga.console.refresh();
    EXPECT_TRUE(vga.listener.take().empty());  // nothing written

    vga.lfb_write32(9 * 1024 + 4 * 10, 0x00123456);  // line 9, pixel 10: page 2 = lines 8..11
    vga.console.refresh();
    EXPECT_EQ(vga.listener.take(), (Rect{0, 8, 256, 4}));
    EXPECT_EQ(vga.console.surface().pixel(10, 9), 0x123456u);
    vga.expect_surface_matches_render();

    // Memory changed behind the bitmap's back is not seen: the display
    // relies on dirty tracking rather than redrawing everything.
    uint32_t sneaky = 0x00abcdef;
    std::memcpy(&vga.vram[30 * 1024], &sneaky, 4);
    vga.console.refresh();
    EXPECT_TRUE(vga.listener.take().empty());
    EXPECT_EQ(vga.console.surface().pixel(0, 30), 0u);
    vga.console.hw_invalidate();
    vga.console.refresh();
    EXPECT_EQ(vga.listener.take(), (Rect{0, 0, 256, 64}));
    EXPECT_EQ(vga.console.surface().pixel(0, 30), 0x00abcdefu);
}

TEST(VgaConsole, VbeModeChangesResizeAndEveryDepthMatchesRender) {
    Vga vga;
    vga.console.add_listener(vga.listener);
    int width = 64;
    for (int bpp : {8, 15, 16, 24, 32}) {
        SCOPED_TRACE(bpp);
        width += 8;  // VBE widths are multiples of 8
        vga.vbe_mode(width, 50, bpp);
        for (uint32_t i = 0; i < 200u * 50 * 4; ++i) vga.vram[i] = static_cast<uint8_t>(i * 7 + bpp);
        vga.dirty.set_range(0, 16);
        vga.console.refresh();
        EXPECT_EQ(vga.listener.switches.back(), std::make_pair(width, 50));
        vga.expect_surface_matches_render();
    }
    // Panning by a line redraws everything at the same size.
    size_t switches = vga.listener.switches.size();
    vga.listener.take();
    vga.vbe(9, 1);
    vga.console.refresh();
    EXPECT_EQ(vga.listener.switches.size(), switches);
    EXPECT_EQ(vga.listener.take(), (Rect{0, 0, width, 50}));
    vga.expect_surface_matches_render();
}

TEST(VgaConsole, LegacyWindowWritesAreTracked) {
    Vga vga;
    vga.vbe_mode(320, 200, 8);
    vga.dac(5, 0x3f, 0, 0);
    vga.console.add_listener(vga.listener);
    vga.console.refresh();
    vga.listener.take();
    // Chain-4 writes through 0xA0000 land in video memory like LFB ones.
    vga.seq(4, 0x0e);
    vga.seq(2, 0x0f);
    vga.core.mem_write(320 * 150 + 7, 5);
    vga.console.refresh();
    Rect changed = vga.listener.take();
    EXPECT_LE(changed.y, 150);
    EXPECT_GT(changed.bottom(), 150);
    EXPECT_LT(changed.h, 200);
    EXPECT_EQ(vga.console.surface().pixel(7, 150), 0xff0000u);
    // A palette change redraws the whole screen.
    vga.dac(5, 0, 0x3f, 0);
    vga.console.refresh();
    EXPECT_EQ(vga.listener.take(), (Rect{0, 0, 320, 200}));
    EXPECT_EQ(vga.console.surface().pixel(7, 150), 0x00ff00u);
}

TEST(VgaConsole, TextModeRedrawsChangedCellsAndTheCursor) {
    Vga vga;
    vga.mode3();
    vga.console.add_listener(vga.listener);
    EXPECT_EQ(vga.listener.switches.back(), std::make_pair(720, 400));
    vga.expect_surface_matches_render();
    vga.listener.take();
    vga.console.refresh();
    EXPECT_TRUE(vga.listener.take().empty());

    vga.put_char(81, 'A', 0x0f);  // row 1, column 1
    vga.console.refresh();
    EXPECT_EQ(vga.listener.take(), (Rect{9, 16, 9, 16}));
    EXPECT_EQ(vga.console.surface().pixel(9, 16), 0xffffffu);
    vga.expect_surface_matches_render();

    // The cursor moves from cell 0 to cell 5 of row 2: both cells redraw.
    vga.crtc(0x0e, 0), vga.crtc(0x0f, 165);
    vga.console.refresh();
    EXPECT_EQ(vga.listener.take(), (Rect{0, 0, 6 * 9, 3 * 16}));
    vga.expect_surface_matches_render();

    // Back to graphics: a resize.
    vga.vbe_mode(64, 32, 32);
    vga.console.refresh();
    EXPECT_EQ(vga.listener.switches.back(), std::make_pair(64, 32));
}

TEST(VgaConsole, WithoutListenersNothingIsTrackedAndUpdatesRedrawAll) {
    Vga vga;
    vga.vbe_mode(64, 16, 32);
    EXPECT_EQ(vga.core.dirty_bitmap(), nullptr);
    uint32_t value = 0x00654321;
    std::memcpy(&vga.vram[5 * 64 * 4 + 8], &value, 4);  // no dirty bit: nobody tracks
    vga.console.hw_update();  // what screendump does
    EXPECT_EQ(vga.console.surface().pixel(2, 5), 0x654321u);
    vga.expect_surface_matches_render();
    vga.console.add_listener(vga.listener);
    EXPECT_EQ(vga.core.dirty_bitmap(), &vga.dirty);
    vga.console.remove_listener(vga.listener);
    EXPECT_EQ(vga.core.dirty_bitmap(), nullptr);
}
