// Standard VGA with the Bochs VBE extensions, independent of the bus it
// sits on (the PCI "VGA" device in hw/display/vga_pci.cpp wraps it).
//
// Video memory layout: in the VGA's planar modes the four planes are
// interleaved byte by byte, so plane p of planar offset o is vram[4*o + p].
// Chain-4 and VBE modes then address vram linearly, and text mode keeps a
// character cell as the bytes (char, attribute, font) of one planar offset.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace mimic::memory {
class PageBitmap;
}
namespace mimic::ui {
class Console;
}

namespace mimic::hw {

inline constexpr const char* kTypeVga = "VGA";

struct VgaTextCell {
    uint8_t ch = 0;
    uint8_t attr = 0;
};

// What the screen shows now: text cells in text modes, pixels otherwise.
struct VgaScreen {
    enum class Kind { kBlank, kText, kGraphics };
    Kind kind = Kind::kBlank;

    int cols = 0, rows = 0;              // text
    std::vector<VgaTextCell> cells;      // rows * cols
    int cursor_col = -1, cursor_row = -1;  // -1: cursor off

    int width = 0, height = 0;           // pixels (text modes too, if rendered)
    std::vector<uint8_t> rgb;            // width * height * 3, when rendered

    // The characters of text row `row`, trailing blanks kept.
    std::string row_text(int row) const;
    // "P6" PPM of rgb, for screendump.
    std::vector<uint8_t> ppm() const;
};

// Implemented by display devices; screendump and the display back ends
// look for it in the machine.
class VgaDisplaySource {
public:
    virtual ~VgaDisplaySource() = default;
    // pixels: also rasterise (text through the font in plane 2).
    virtual VgaScreen render(bool pixels) = 0;
    // The console the device publishes its picture on (null before realize).
    virtual ui::Console* console() = 0;
};

// The picture the registers select: its kind and geometry, and where in
// video memory it starts. Two equal modes draw the same memory the same way.
struct VgaMode {
    enum class Kind { kBlank, kText, kPlanar, kCga, kChain4, kVbe };
    Kind kind = Kind::kBlank;
    int width = 0, height = 0;  // pixels
    // Text: cells, and the pixel size of a cell.
    int cols = 0, rows = 0, char_width = 0, char_height = 0;
    // Text: the first cell's planar offset and cells per row. Graphics: the
    // video memory byte of the first line and bytes from line to line.
    uint32_t start = 0, stride = 0;
    int bpp = 0;  // VBE
    // CGA compatibility (CRTC mode control bits 0, 1 and 6): which line
    // bits pick the memory bank, as CGA interleaved its lines.
    uint8_t crtc_mode = 0x03;
    bool operator==(const VgaMode&) const = default;
};

class VgaCore {
public:
    // `vram` must stay valid; its size is a power of two >= 256 KiB.
    VgaCore(uint8_t* vram, uint32_t vram_size);

    void reset();

    // I/O ports 0x3B0-0x3DF (the absolute port number, byte accesses).
    uint8_t ioport_read(uint16_t port);
    void ioport_write(uint16_t port, uint8_t value);

    // Bochs VBE: index (0x1CE) and data (0x1CF) registers, 16 bits.
    uint16_t vbe_index() const { return vbe_index_; }
    void vbe_set_index(uint16_t index) { vbe_index_ = index; }
    uint16_t vbe_read();
    void vbe_write(uint16_t value);
    bool vbe_enabled() const;

    // The 128 KiB legacy window at 0xA0000 (offset relative to 0xA0000).
    uint8_t mem_read(uint32_t offset);
    void mem_write(uint32_t offset, uint8_t value);

    VgaScreen render(bool pixels) const;

    // Incremental drawing, for the display console (vga_display.cpp).
    VgaMode mode() const;
    // Graphics: line `y` as 0x00RRGGBB pixels (mode.width of them), and the
    // video memory bytes it reads: [first, first + length), wrapping at
    // the end of video memory.
    void draw_line(const VgaMode& mode, int y, uint32_t* out) const;
    void line_span(const VgaMode& mode, int y, uint32_t& first, uint32_t& length) const;
    // Text: a cell, the cursor cell (-1, -1 when off or off screen), and one
    // cell's pixels at `origin` (rows `pitch` pixels apart).
    VgaTextCell text_cell(const VgaMode& mode, int row, int col) const;
    void text_cursor(const VgaMode& mode, int& row, int& col) const;
    void draw_text_cell(const VgaMode& mode, int row, int col, bool cursor, uint32_t* origin, int pitch) const;
    // The font bytes text mode draws with (both character maps, plane 2).
    void text_font(std::vector<uint8_t>& out) const;
    // Every register that colours the picture beyond its mode (DAC, pel
    // mask, attribute controller, cursor shape): a change redraws it all.
    void palette_state(std::vector<uint8_t>& out) const;

    // Where writes through the legacy window are recorded, so a display
    // sees them like writes to the linear framebuffer (which the memory
    // API records in the same bitmap). Null: nothing is recorded.
    void set_dirty_bitmap(memory::PageBitmap* dirty) { dirty_ = dirty; }
    memory::PageBitmap* dirty_bitmap() const { return dirty_; }

    uint32_t vram_size() const { return vram_size_; }
    uint8_t* vram() const { return vram_; }

private:
    uint8_t crtc_port_base() const { return (misc_ & 1) ? 0xd0 : 0xb0; }
    // Maps a window offset to a plane offset; false when the memory map
    // select excludes it.
    bool window_offset(uint32_t& offset) const;
    uint32_t palette_rgb(uint8_t index) const;  // through the DAC
    uint8_t attribute_color(uint8_t color) const;  // through the attribute palette
    void vbe_apply_mode();
    void vbe_update_start();

    void mark_dirty(uint32_t vram_offset);
    uint32_t text_glyph_base(uint8_t attr) const;
    void draw_vbe_line(const VgaMode& mode, int y, uint32_t* out) const;

    uint8_t* vram_;
    uint32_t vram_size_;
    memory::PageBitmap* dirty_ = nullptr;

    uint8_t misc_ = 0;
    uint8_t seq_index_ = 0, seq_[8] = {};
    uint8_t gc_index_ = 0, gc_[16] = {};
    uint8_t crtc_index_ = 0, crtc_[32] = {};
    uint8_t attr_index_ = 0, attr_[32] = {};
    bool attr_flip_data_ = false;  // the 0x3C0 flip-flop: next write is data
    uint8_t feature_ = 0;
    uint8_t status1_ = 0;          // input status 1 (retrace toggles)
    uint8_t dac_[768] = {};
    uint8_t dac_read_index_ = 0, dac_write_index_ = 0, dac_sub_ = 0;
    uint8_t dac_state_ = 0;        // 0x3C7 read: 0 = write mode, 3 = read mode
    uint8_t dac_pending_[3] = {};
    uint8_t pel_mask_ = 0xff;
    uint32_t latch_ = 0;

    uint16_t vbe_index_ = 0;
    uint16_t vbe_[16] = {};
    uint32_t vbe_line_offset_ = 0;
    uint32_t vbe_start_ = 0;
};

}  // namespace mimic::hw
