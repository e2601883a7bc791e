// Turning VGA state into a picture: text cells (and their pixels through the
// font in plane 2), planar 16-colour and chain-4 256-colour graphics, and
// the VBE linear modes.
#include <algorithm>
#include <cstring>
#include <string>

#include "mimic/hw/vga.h"

namespace mimic::hw {
namespace {

constexpr int kVbeXres = 1, kVbeYres = 2, kVbeBpp = 3;

// 6-bit DAC components to 8 bits, spreading the top bits into the bottom
// so 0x3f becomes 0xff.
uint8_t dac_to_8(uint8_t v) { return static_cast<uint8_t>((v << 2) | (v >> 4)); }

void put_pixel(VgaScreen& s, int x, int y, uint32_t rgb) {
    uint8_t* p = &s.rgb[(static_cast<size_t>(y) * s.width + x) * 3];
    p[0] = rgb >> 16;
    p[1] = (rgb >> 8) & 0xff;
    p[2] = rgb & 0xff;
}

}  // namespace

std::string VgaScreen::row_text(int row) const {
    std::string text;
    if (row < 0 || row >= rows) return text;
    for (int c = 0; c < cols; ++c) text.push_back(static_cast<char>(cells[row * cols + c].ch));
    return text;
}

std::vector<uint8_t> VgaScreen::ppm() const {
    std::string header = "P6\n" + std::to_string(width) + " " + std::to_string(height) + "\n255\n";
    std::vector<uint8_t> out(header.begin(), header.end());
    out.insert(out.end(), rgb.begin(), rgb.end());
    return out;
}

uint32_t VgaCore::palette_rgb(uint8_t index) const {
    index &= pel_mask_;
    const uint8_t* e = &dac_[index * 3];
    return static_cast<uint32_t>(dac_to_8(e[0])) << 16 | dac_to_8(e[1]) << 8 | dac_to_8(e[2]);
}

uint8_t VgaCore::attribute_color(uint8_t color) const {
    uint8_t value = attr_[color & 0x0f];
    // Mode control bit 7 takes DAC bits 4-5 from the colour select register
    // instead of the palette; bits 6-7 always come from there.
    if (attr_[0x10] & 0x80) {
        value = (value & 0x0f) | ((attr_[0x14] & 0x0f) << 4);
    } else {
        value = (value & 0x3f) | ((attr_[0x14] & 0x0c) << 4);
    }
    return value;
}

VgaScreen VgaCore::render(bool pixels) const {
    VgaScreen screen;
    if (vbe_enabled()) {
        render_vbe(screen);
        return screen;
    }
    // Sequencer "screen off" or the attribute controller's palette being
    // programmed (PAS clear) blank the display.
    if ((seq_[1] & 0x20) || !(attr_index_ & 0x20)) return screen;
    if (gc_[6] & 1) {
        render_graphics(screen);
    } else {
        render_text(screen, pixels);
    }
    return screen;
}

void VgaCore::render_text(VgaScreen& s, bool pixels) const {
    int cols = crtc_[1] + 1;
    int char_height = (crtc_[9] & 0x1f) + 1;
    int vde = crtc_[0x12] | ((crtc_[7] & 0x02) << 7) | ((crtc_[7] & 0x40) << 3);
    int rows = (vde + 1) / char_height;
    if (cols <= 1 || rows <= 0) return;
    uint32_t start = static_cast<uint32_t>(crtc_[0x0c] << 8 | crtc_[0x0d]);
    uint32_t stride = crtc_[0x13] * 2u;  // cells per row
    if (!stride) stride = static_cast<uint32_t>(cols);

    s.kind = VgaScreen::Kind::kText;
    s.cols = cols;
    s.rows = rows;
    s.cells.resize(static_cast<size_t>(cols) * rows);
    for (int r = 0; r < rows; ++r) {
        for (int c = 0; c < cols; ++c) {
            uint32_t index = ((start + r * stride + c) * 4) & (vram_size_ - 1);
            s.cells[r * cols + c] = {vram_[index], vram_[index + 1]};
        }
    }
    uint32_t cursor = static_cast<uint32_t>(crtc_[0x0e] << 8 | crtc_[0x0f]);
    bool cursor_on = !(crtc_[0x0a] & 0x20);
    if (cursor_on && cursor >= start) {
        uint32_t pos = cursor - start;
        if (pos / stride < static_cast<uint32_t>(rows) && pos % stride < static_cast<uint32_t>(cols)) {
            s.cursor_row = static_cast<int>(pos / stride);
            s.cursor_col = static_cast<int>(pos % stride);
        }
    }
    if (!pixels) return;

    // Character maps from sequencer register 3: map A (attribute bit 3 set)
    // in bits 5,3,2, map B in bits 4,1,0; map n starts at 16 KiB * (n & 3)
    // + 8 KiB * (n >> 2) of plane 2, 32 bytes per glyph.
    uint8_t cmap = seq_[3];
    int map_a = ((cmap >> 5) & 1) << 2 | ((cmap >> 2) & 3);
    int map_b = ((cmap >> 4) & 1) << 2 | (cmap & 3);
    auto map_base = [](int map) { return static_cast<uint32_t>((map & 3) * 0x4000 + (map >> 2) * 0x2000); };
    int char_width = (seq_[1] & 1) ? 8 : 9;
    s.width = cols * char_width;
    s.height = rows * char_height;
    s.rgb.assign(static_cast<size_t>(s.width) * s.height * 3, 0);
    for (int r = 0; r < rows; ++r) {
        for (int c = 0; c < cols; ++c) {
            VgaTextCell cell = s.cells[r * cols + c];
            uint32_t fg = palette_rgb(attribute_color(cell.attr & 0x0f));
            uint32_t bg = palette_rgb(attribute_color((cell.attr >> 4) & ((attr_[0x10] & 0x08) ? 7 : 15)));
            uint32_t glyph = map_base((cell.attr & 0x08) ? map_a : map_b) + cell.ch * 32u;
            for (int line = 0; line < char_height; ++line) {
                uint8_t bits = vram_[(((glyph + line) * 4) + 2) & (vram_size_ - 1)];
                bool is_cursor = r == s.cursor_row && c == s.cursor_col &&
                                 line >= (crtc_[0x0a] & 0x1f) && line <= (crtc_[0x0b] & 0x1f);
                for (int x = 0; x < char_width; ++x) {
                    bool on;
                    if (x < 8) {
                        on = bits & (0x80 >> x);
                    } else {
                        // The ninth column repeats the eighth for the line
                        // graphics characters when the mode asks for it.
                        on = (attr_[0x10] & 0x04) && cell.ch >= 0xc0 && cell.ch <= 0xdf && (bits & 1);
                    }
                    put_pixel(s, c * char_width + x, r * char_height + line, (on || is_cursor) ? fg : bg);
                }
            }
        }
    }
}

void VgaCore::render_graphics(VgaScreen& s) const {
    int width = (crtc_[1] + 1) * 8;
    int vde = crtc_[0x12] | ((crtc_[7] & 0x02) << 7) | ((crtc_[7] & 0x40) << 3);
    int scan = ((crtc_[9] & 0x1f) + 1) * ((crtc_[9] & 0x80) ? 2 : 1);
    int height = (vde + 1) / scan;
    bool shift256 = gc_[5] & 0x40;
    if (shift256) width /= 2;  // 256 colours: one pixel per two dot clocks
    if (width <= 0 || height <= 0) return;
    uint32_t start = static_cast<uint32_t>(crtc_[0x0c] << 8 | crtc_[0x0d]);
    uint32_t line_offset = crtc_[0x13] * 8u;

    s.kind = VgaScreen::Kind::kGraphics;
    s.width = width;
    s.height = height;
    s.rgb.assign(static_cast<size_t>(width) * height * 3, 0);
    for (int y = 0; y < height; ++y) {
        for (int x = 0; x < width; ++x) {
            uint8_t index;
            if (shift256) {
                // Chain-4: pixel bytes in plane order, i.e. linear.
                index = vram_[(start * 4 + y * line_offset + x) & (vram_size_ - 1)];
            } else {
                // Planar: bit 7-(x%8) of each plane forms the colour.
                uint32_t o = (start + y * (line_offset / 4) + x / 8) * 4;
                int bit = 7 - (x & 7);
                uint8_t color = 0;
                for (int p = 0; p < 4; ++p) color |= ((vram_[(o + p) & (vram_size_ - 1)] >> bit) & 1) << p;
                index = attribute_color(color & attr_[0x12]);
            }
            put_pixel(s, x, y, palette_rgb(index));
        }
    }
}

void VgaCore::render_vbe(VgaScreen& s) const {
    int width = vbe_[kVbeXres], height = vbe_[kVbeYres], bpp = vbe_[kVbeBpp];
    if (!width || !height || !vbe_line_offset_) return;
    s.kind = VgaScreen::Kind::kGraphics;
    s.width = width;
    s.height = height;
    s.rgb.assign(static_cast<size_t>(width) * height * 3, 0);
    for (int y = 0; y < height; ++y) {
        uint32_t line = vbe_start_ + y * vbe_line_offset_;
        for (int x = 0; x < width; ++x) {
            uint32_t rgb = 0;
            auto byte = [&](uint32_t at) { return vram_[at & (vram_size_ - 1)]; };
            switch (bpp) {
            case 4: {
                uint8_t b = byte(line + x / 2);
                rgb = palette_rgb((x & 1) ? (b & 0x0f) : (b >> 4));
                break;
            }
            case 8: rgb = palette_rgb(byte(line + x)); break;
            case 15: {
                uint16_t v = static_cast<uint16_t>(byte(line + x * 2) | byte(line + x * 2 + 1) << 8);
                uint32_t r = (v >> 10) & 0x1f, g = (v >> 5) & 0x1f, b = v & 0x1f;
                rgb = (r << 3 | r >> 2) << 16 | (g << 3 | g >> 2) << 8 | (b << 3 | b >> 2);
                break;
            }
            case 16: {
                uint16_t v = static_cast<uint16_t>(byte(line + x * 2) | byte(line + x * 2 + 1) << 8);
                uint32_t r = (v >> 11) & 0x1f, g = (v >> 5) & 0x3f, b = v & 0x1f;
                rgb = (r << 3 | r >> 2) << 16 | (g << 2 | g >> 4) << 8 | (b << 3 | b >> 2);
                break;
            }
            case 24:
                rgb = static_cast<uint32_t>(byte(line + x * 3 + 2)) << 16 | byte(line + x * 3 + 1) << 8 |
                      byte(line + x * 3);
                break;
            default:  // 32: B, G, R, unused
                rgb = static_cast<uint32_t>(byte(line + x * 4 + 2)) << 16 | byte(line + x * 4 + 1) << 8 |
                      byte(line + x * 4);
                break;
            }
            put_pixel(s, x, y, rgb);
        }
    }
}

}  // namespace mimic::hw
