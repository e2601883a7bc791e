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

    void render_text(VgaScreen& screen, bool pixels) const;
    void render_graphics(VgaScreen& screen) const;
    void render_vbe(VgaScreen& screen) const;

    uint8_t* vram_;
    uint32_t vram_size_;

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
