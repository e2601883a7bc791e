// Turning VGA state into a picture: text cells (and their pixels through the
// font in plane 2), planar 16-colour and chain-4 256-colour graphics, and
// the VBE linear modes. Drawing goes line by line (graphics) or cell by
// cell (text), so the display console converts only what changed;
// render() draws everything, for screendump and tests.
#include <pixman.h>

#include <algorithm>
#include <cstddef>
#include <cstring>
#include <string>

#include "mimic/hw/vga.h"

namespace mimic::hw {
namespace {

constexpr int kVbeXres = 1, kVbeYres = 2, kVbeBpp = 3;

// 6-bit DAC components to 8 bits, spreading the top bits into the bottom
// so 0x3f becomes 0xff.
uint8_t dac_to_8(uint8_t v) { return static_cast<uint8_t>((v << 2) | (v >> 4)); }

uint32_t expand5(uint32_t v) { return v << 3 | v >> 2; }
uint32_t expand6(uint32_t v) { return v << 2 | v >> 4; }

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

VgaMode VgaCore::mode() const {
    VgaMode m;
    if (vbe_enabled()) {
        int width = vbe_[kVbeXres], height = vbe_[kVbeYres];
        if (!width || !height || !vbe_line_offset_) return m;
        m.kind = VgaMode::Kind::kVbe;
        m.width = width;
        m.height = height;
        m.bpp = vbe_[kVbeBpp];
        m.start = vbe_start_;
        m.stride = vbe_line_offset_;
        return m;
    }
    // Sequencer "screen off" or the attribute controller's palette being
    // programmed (PAS clear) blank the display.
    if ((seq_[1] & 0x20) || !(attr_index_ & 0x20)) return m;
    int vde = crtc_[0x12] | ((crtc_[7] & 0x02) << 7) | ((crtc_[7] & 0x40) << 3);
    if (!(gc_[6] & 1)) {
        int cols = crtc_[1] + 1;
        int char_height = (crtc_[9] & 0x1f) + 1;
        int rows = (vde + 1) / char_height;
        if (cols <= 1 || rows <= 0) return m;
        m.kind = VgaMode::Kind::kText;
        m.cols = cols;
        m.rows = rows;
        m.char_width = (seq_[1] & 1) ? 8 : 9;
        m.char_height = char_height;
        m.width = cols * m.char_width;
        m.height = rows * char_height;
        m.start = static_cast<uint32_t>(crtc_[0x0c] << 8 | crtc_[0x0d]);
        m.stride = crtc_[0x13] * 2u;  // cells per row
        if (!m.stride) m.stride = static_cast<uint32_t>(cols);
        return m;
    }
    int width = (crtc_[1] + 1) * 8;
    bool shift256 = gc_[5] & 0x40;
    // Shift register interleave: CGA's 2 bits a pixel (modes 4 and 5),
    // which ignores the maximum scan line but not double scanning.
    bool cga = !shift256 && (gc_[5] & 0x20);
    int scan = cga ? ((crtc_[9] & 0x80) ? 2 : 1) : ((crtc_[9] & 0x1f) + 1) * ((crtc_[9] & 0x80) ? 2 : 1);
    int height = (vde + 1) / scan;
    if (shift256) width /= 2;  // 256 colours: one pixel per two dot clocks
    if (width <= 0 || height <= 0) return m;
    m.kind = shift256 ? VgaMode::Kind::kChain4 : cga ? VgaMode::Kind::kCga : VgaMode::Kind::kPlanar;
    m.crtc_mode = crtc_[0x17];
    m.width = width;
    m.height = height;
    m.start = static_cast<uint32_t>(crtc_[0x0c] << 8 | crtc_[0x0d]) * 4;
    m.stride = crtc_[0x13] * 8u;
    return m;
}

namespace {

// The video memory byte where graphics line `y` starts. With CRTC mode
// control bit 0 (or 1) clear, line bit 0 (or 1) replaces a memory address
// bit, and the line address only advances on the lines that have the
// replaced bits all set, as on the CGA whose memory held even and odd lines
// in separate banks.
uint32_t graphics_line_address(const VgaMode& m, int y) {
    if (m.kind == VgaMode::Kind::kVbe) return m.start + static_cast<uint32_t>(y) * m.stride;
    uint32_t mask = (m.crtc_mode & 3) ^ 3;
    auto line = static_cast<uint32_t>(y);
    uint32_t advances = line;  // lines below y that advanced the address
    if (mask == 1) advances = line / 2;
    else if (mask == 2) advances = 2 * (line / 4) + (line % 4 > 2 ? 1 : 0);
    else if (mask == 3) advances = line / 4;
    uint32_t address = m.start + advances * m.stride;
    if (!(m.crtc_mode & 1)) {
        int shift = 14 + ((m.crtc_mode >> 6) & 1);
        address = (address & ~(1u << shift)) | ((line & 1) << shift);
    }
    if (!(m.crtc_mode & 2)) address = (address & ~0x8000u) | ((line & 2) << 14);
    return address;
}

}  // namespace

void VgaCore::line_span(const VgaMode& m, int y, uint32_t& first, uint32_t& length) const {
    first = graphics_line_address(m, y) & (vram_size_ - 1);
    switch (m.kind) {
    case VgaMode::Kind::kPlanar:
    case VgaMode::Kind::kCga: length = static_cast<uint32_t>((m.width + 7) / 8) * 4; break;
    case VgaMode::Kind::kChain4: length = static_cast<uint32_t>(m.width); break;
    case VgaMode::Kind::kVbe:
        length = m.bpp == 4 ? static_cast<uint32_t>(m.width + 1) / 2
                            : static_cast<uint32_t>(m.width) * static_cast<uint32_t>((m.bpp + 7) / 8);
        break;
    default: length = 0; break;
    }
}

void VgaCore::draw_line(const VgaMode& m, int y, uint32_t* out) const {
    const uint32_t mask = vram_size_ - 1;
    switch (m.kind) {
    case VgaMode::Kind::kChain4: {
        // Chain-4: pixel bytes in plane order, i.e. linear.
        uint32_t line = graphics_line_address(m, y);
        for (int x = 0; x < m.width; ++x) out[x] = palette_rgb(vram_[(line + x) & mask]);
        break;
    }
    case VgaMode::Kind::kCga: {
        // Four 2-bit pixels a byte, most significant first: planes 0 and
        // 1 (then 2 and 3 for the high bits) hold pixels 0-3 and 4-7 of
        // each 8-pixel group.
        uint32_t line = graphics_line_address(m, y);
        for (int x = 0; x < m.width; ++x) {
            uint32_t o = line + static_cast<uint32_t>(x / 8) * 4;
            int plane = (x & 4) ? 1 : 0;
            int shift = 6 - 2 * (x & 3);
            uint8_t low = (vram_[(o + plane) & mask] >> shift) & 3;
            uint8_t high = (vram_[(o + plane + 2) & mask] >> shift) & 3;
            out[x] = palette_rgb(attribute_color(static_cast<uint8_t>((low | high << 2) & attr_[0x12])));
        }
        break;
    }
    case VgaMode::Kind::kPlanar: {
        // Planar: bit 7-(x%8) of each plane forms the colour.
        uint32_t line = graphics_line_address(m, y);
        for (int x = 0; x < m.width; ++x) {
            uint32_t o = line + static_cast<uint32_t>(x / 8) * 4;
            int bit = 7 - (x & 7);
            uint8_t color = 0;
            for (int p = 0; p < 4; ++p) color |= ((vram_[(o + p) & mask] >> bit) & 1) << p;
            out[x] = palette_rgb(attribute_color(color & attr_[0x12]));
        }
        break;
    }
    case VgaMode::Kind::kVbe: draw_vbe_line(m, y, out); break;
    default: std::fill(out, out + m.width, 0u); break;
    }
}

void VgaCore::draw_vbe_line(const VgaMode& m, int y, uint32_t* out) const {
    const uint32_t mask = vram_size_ - 1;
    uint32_t first, length;
    line_span(m, y, first, length);
    // Direct colour lines that sit whole and aligned in video memory go
    // through pixman; the rest (palette modes, a line wrapping at the end)
    // pixel by pixel.
    pixman_format_code_t format = m.bpp == 32 ? PIXMAN_x8r8g8b8
                                  : m.bpp == 24 ? PIXMAN_r8g8b8
                                  : m.bpp == 16 ? PIXMAN_r5g6b5
                                  : m.bpp == 15 ? PIXMAN_x1r5g5b5
                                                : pixman_format_code_t{};
    if (format && first + length <= vram_size_ && (first & 3) == 0) {
        int stride = static_cast<int>((length + 3) & ~3u);
        pixman_image_t* src = pixman_image_create_bits(format, m.width, 1,
                                                       reinterpret_cast<uint32_t*>(vram_ + first), stride);
        pixman_image_t* dst = pixman_image_create_bits(PIXMAN_x8r8g8b8, m.width, 1, out, m.width * 4);
        if (src && dst) {
            pixman_image_composite32(PIXMAN_OP_SRC, src, nullptr, dst, 0, 0, 0, 0, 0, 0, m.width, 1);
            pixman_image_unref(src);
            pixman_image_unref(dst);
            return;
        }
        if (src) pixman_image_unref(src);
        if (dst) pixman_image_unref(dst);
    }
    auto byte = [&](uint32_t at) { return vram_[at & mask]; };
    for (int x = 0; x < m.width; ++x) {
        uint32_t rgb = 0;
        switch (m.bpp) {
        case 4: {
            uint8_t b = byte(first + x / 2);
            rgb = palette_rgb((x & 1) ? (b & 0x0f) : (b >> 4));
            break;
        }
        case 8: rgb = palette_rgb(byte(first + x)); break;
        case 15: {
            uint16_t v = static_cast<uint16_t>(byte(first + x * 2) | byte(first + x * 2 + 1) << 8);
            rgb = expand5((v >> 10) & 0x1f) << 16 | expand5((v >> 5) & 0x1f) << 8 | expand5(v & 0x1f);
            break;
        }
        case 16: {
            uint16_t v = static_cast<uint16_t>(byte(first + x * 2) | byte(first + x * 2 + 1) << 8);
            rgb = expand5((v >> 11) & 0x1f) << 16 | expand6((v >> 5) & 0x3f) << 8 | expand5(v & 0x1f);
            break;
        }
        case 24:
            rgb = static_cast<uint32_t>(byte(first + x * 3 + 2)) << 16 | byte(first + x * 3 + 1) << 8 |
                  byte(first + x * 3);
            break;
        default:  // 32: B, G, R, unused
            rgb = static_cast<uint32_t>(byte(first + x * 4 + 2)) << 16 | byte(first + x * 4 + 1) << 8 |
                  byte(first + x * 4);
            break;
        }
        out[x] = rgb;
    }
}

VgaTextCell VgaCore::text_cell(const VgaMode& m, int row, int col) const {
    uint32_t index = ((m.start + row * m.stride + col) * 4) & (vram_size_ - 1);
    return {vram_[index], vram_[index + 1]};
}

void VgaCore::text_cursor(const VgaMode& m, int& row, int& col) const {
    row = col = -1;
    uint32_t cursor = static_cast<uint32_t>(crtc_[0x0e] << 8 | crtc_[0x0f]);
    bool cursor_on = !(crtc_[0x0a] & 0x20);
    if (!cursor_on || cursor < m.start) return;
    uint32_t pos = cursor - m.start;
    if (pos / m.stride < static_cast<uint32_t>(m.rows) && pos % m.stride < static_cast<uint32_t>(m.cols)) {
        row = static_cast<int>(pos / m.stride);
        col = static_cast<int>(pos % m.stride);
    }
}

// Character maps from sequencer register 3: map A (attribute bit 3 set)
// in bits 5,3,2, map B in bits 4,1,0; map n starts at 16 KiB * (n & 3)
// + 8 KiB * (n >> 2) of plane 2, 32 bytes per glyph.
uint32_t VgaCore::text_glyph_base(uint8_t attr) const {
    uint8_t cmap = seq_[3];
    int map = (attr & 0x08) ? (((cmap >> 5) & 1) << 2 | ((cmap >> 2) & 3)) : (((cmap >> 4) & 1) << 2 | (cmap & 3));
    return static_cast<uint32_t>((map & 3) * 0x4000 + (map >> 2) * 0x2000);
}

void VgaCore::text_font(std::vector<uint8_t>& out) const {
    out.clear();
    for (uint8_t attr : {uint8_t{0x08}, uint8_t{0x00}}) {
        uint32_t base = text_glyph_base(attr);
        for (uint32_t i = 0; i < 256 * 32; ++i) out.push_back(vram_[(((base + i) * 4) + 2) & (vram_size_ - 1)]);
    }
}

void VgaCore::palette_state(std::vector<uint8_t>& out) const {
    out.assign(dac_, dac_ + sizeof dac_);
    out.push_back(pel_mask_);
    out.insert(out.end(), attr_, attr_ + 0x15);
    out.push_back(crtc_[0x0a]);
    out.push_back(crtc_[0x0b]);
}

void VgaCore::draw_text_cell(const VgaMode& m, int row, int col, bool cursor, uint32_t* origin, int pitch) const {
    VgaTextCell cell = text_cell(m, row, col);
    uint32_t fg = palette_rgb(attribute_color(cell.attr & 0x0f));
    uint32_t bg = palette_rgb(attribute_color((cell.attr >> 4) & ((attr_[0x10] & 0x08) ? 7 : 15)));
    uint32_t glyph = text_glyph_base(cell.attr) + cell.ch * 32u;
    for (int line = 0; line < m.char_height; ++line) {
        uint8_t bits = vram_[(((glyph + line) * 4) + 2) & (vram_size_ - 1)];
        bool is_cursor = cursor && line >= (crtc_[0x0a] & 0x1f) && line <= (crtc_[0x0b] & 0x1f);
        uint32_t* out = origin + static_cast<std::ptrdiff_t>(line) * pitch;
        for (int x = 0; x < m.char_width; ++x) {
            bool on;
            if (x < 8) {
                on = bits & (0x80 >> x);
            } else {
                // The ninth column repeats the eighth for the line
                // graphics characters when the mode asks for it.
                on = (attr_[0x10] & 0x04) && cell.ch >= 0xc0 && cell.ch <= 0xdf && (bits & 1);
            }
            out[x] = (on || is_cursor) ? fg : bg;
        }
    }
}

VgaScreen VgaCore::render(bool pixels) const {
    VgaScreen s;
    VgaMode m = mode();
    if (m.kind == VgaMode::Kind::kBlank) return s;
    std::vector<uint32_t> line;
    auto store_line = [&](int y, const uint32_t* px) {
        uint8_t* p = &s.rgb[static_cast<size_t>(y) * s.width * 3];
        for (int x = 0; x < s.width; ++x) {
            *p++ = static_cast<uint8_t>(px[x] >> 16);
            *p++ = static_cast<uint8_t>(px[x] >> 8);
            *p++ = static_cast<uint8_t>(px[x]);
        }
    };
    if (m.kind != VgaMode::Kind::kText) {
        s.kind = VgaScreen::Kind::kGraphics;
        s.width = m.width;
        s.height = m.height;
        s.rgb.assign(static_cast<size_t>(s.width) * s.height * 3, 0);
        line.resize(static_cast<size_t>(m.width));
        for (int y = 0; y < m.height; ++y) {
            draw_line(m, y, line.data());
            store_line(y, line.data());
        }
        return s;
    }
    s.kind = VgaScreen::Kind::kText;
    s.cols = m.cols;
    s.rows = m.rows;
    s.cells.resize(static_cast<size_t>(m.cols) * m.rows);
    for (int r = 0; r < m.rows; ++r)
        for (int c = 0; c < m.cols; ++c) s.cells[r * m.cols + c] = text_cell(m, r, c);
    text_cursor(m, s.cursor_row, s.cursor_col);
    if (!pixels) return s;
    s.width = m.width;
    s.height = m.height;
    s.rgb.assign(static_cast<size_t>(s.width) * s.height * 3, 0);
    std::vector<uint32_t> text_row(static_cast<size_t>(m.width) * m.char_height);
    for (int r = 0; r < m.rows; ++r) {
        for (int c = 0; c < m.cols; ++c) {
            draw_text_cell(m, r, c, r == s.cursor_row && c == s.cursor_col, &text_row[c * m.char_width], m.width);
        }
        for (int line_in_row = 0; line_in_row < m.char_height; ++line_in_row)
            store_line(r * m.char_height + line_in_row, &text_row[static_cast<size_t>(line_in_row) * m.width]);
    }
    return s;
}

}  // namespace mimic::hw
