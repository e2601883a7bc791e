// RFB encodings: raw, CopyRect, hextile, zlib, tight and ZRLE.
#include "mimic/ui/rfb_encoding.h"

#include <zlib.h>

#include <algorithm>
#include <array>
#include <stdexcept>

#include "mimic/ui/surface.h"

namespace mimic::ui::rfb {

// --- pixel formats -----------------------------------------------------------

void put_u8(std::vector<uint8_t>& out, uint8_t v) { out.push_back(v); }
void put_u16(std::vector<uint8_t>& out, uint16_t v) {
    out.push_back(static_cast<uint8_t>(v >> 8));
    out.push_back(static_cast<uint8_t>(v));
}
void put_u32(std::vector<uint8_t>& out, uint32_t v) {
    put_u16(out, static_cast<uint16_t>(v >> 16));
    put_u16(out, static_cast<uint16_t>(v));
}

void put_rect_header(std::vector<uint8_t>& out, const Rect& r, int32_t encoding) {
    put_u16(out, static_cast<uint16_t>(r.x));
    put_u16(out, static_cast<uint16_t>(r.y));
    put_u16(out, static_cast<uint16_t>(r.w));
    put_u16(out, static_cast<uint16_t>(r.h));
    put_u32(out, static_cast<uint32_t>(encoding));
}

void PixelFormat::write(std::vector<uint8_t>& out) const {
    put_u8(out, bits_per_pixel);
    put_u8(out, depth);
    put_u8(out, big_endian ? 1 : 0);
    put_u8(out, true_colour ? 1 : 0);
    put_u16(out, red_max);
    put_u16(out, green_max);
    put_u16(out, blue_max);
    put_u8(out, red_shift);
    put_u8(out, green_shift);
    put_u8(out, blue_shift);
    out.insert(out.end(), 3, 0);
}

PixelFormat PixelFormat::read(const uint8_t* b) {
    PixelFormat f;
    f.bits_per_pixel = b[0];
    f.depth = b[1];
    f.big_endian = b[2] != 0;
    f.true_colour = b[3] != 0;
    f.red_max = static_cast<uint16_t>(b[4] << 8 | b[5]);
    f.green_max = static_cast<uint16_t>(b[6] << 8 | b[7]);
    f.blue_max = static_cast<uint16_t>(b[8] << 8 | b[9]);
    f.red_shift = b[10];
    f.green_shift = b[11];
    f.blue_shift = b[12];
    return f;
}

namespace {

// Bits a colour maximum spans (max must be 2^n - 1).
int max_bits(uint16_t max) {
    int bits = 0;
    while (bits < 16 && (1u << bits) - 1 < max) ++bits;
    return (1u << bits) - 1 == max ? bits : -1;
}

uint32_t scale(uint32_t component, uint16_t max) { return (component * (uint32_t{max} + 1)) >> 8; }

}  // namespace

bool PixelFormat::valid() const {
    if (bits_per_pixel != 8 && bits_per_pixel != 16 && bits_per_pixel != 32) return false;
    if (!true_colour) return false;
    for (auto [max, shift] : {std::pair{red_max, red_shift}, {green_max, green_shift}, {blue_max, blue_shift}}) {
        int bits = max_bits(max);
        if (bits < 0 || bits > 8 || shift + bits > bits_per_pixel) return false;
    }
    return true;
}

uint32_t PixelFormat::convert(uint32_t rgb) const {
    return scale((rgb >> 16) & 0xff, red_max) << red_shift | scale((rgb >> 8) & 0xff, green_max) << green_shift |
           scale(rgb & 0xff, blue_max) << blue_shift;
}

void PixelFormat::put(std::vector<uint8_t>& out, uint32_t rgb) const {
    uint32_t v = convert(rgb);
    int n = bytes_per_pixel();
    for (int i = 0; i < n; ++i) {
        int byte = big_endian ? n - 1 - i : i;
        out.push_back(static_cast<uint8_t>(v >> (8 * byte)));
    }
}

bool PixelFormat::compact_24() const {
    if (bits_per_pixel != 32 || depth > 24) return false;
    uint32_t all = convert(0xffffff);
    return (all & 0xff000000u) == 0 || (all & 0xffu) == 0;
}

void PixelFormat::put_compact(std::vector<uint8_t>& out, uint32_t rgb) const {
    uint32_t v = convert(rgb);
    // The three bytes that carry colour, in the client's byte order.
    bool low = (convert(0xffffff) & 0xff000000u) == 0;
    uint32_t bits = low ? v : v >> 8;
    for (int i = 0; i < 3; ++i) {
        int byte = big_endian ? 2 - i : i;
        out.push_back(static_cast<uint8_t>(bits >> (8 * byte)));
    }
}

// --- compression state -------------------------------------------------------

struct EncoderState::Streams {
    std::array<z_stream, 6> z{};
    std::array<bool, 6> ready{};
    std::array<int, 6> level{};
};

EncoderState::EncoderState() : streams_(std::make_unique<Streams>()) {}

EncoderState::~EncoderState() {
    for (size_t i = 0; i < streams_->z.size(); ++i) {
        if (streams_->ready[i]) deflateEnd(&streams_->z[i]);
    }
}

std::vector<uint8_t> EncoderState::deflate(int stream, const std::vector<uint8_t>& data) {
    z_stream& z = streams_->z[static_cast<size_t>(stream)];
    int level = std::clamp(compression_level, 0, 9);
    if (!streams_->ready[static_cast<size_t>(stream)]) {
        if (deflateInit(&z, level) != Z_OK) throw std::runtime_error("zlib: deflateInit failed");
        streams_->ready[static_cast<size_t>(stream)] = true;
        streams_->level[static_cast<size_t>(stream)] = level;
    } else if (streams_->level[static_cast<size_t>(stream)] != level) {
        deflateParams(&z, level, Z_DEFAULT_STRATEGY);
        streams_->level[static_cast<size_t>(stream)] = level;
    }
    std::vector<uint8_t> out(deflateBound(&z, static_cast<uLong>(data.size())) + 64);
    z.next_in = const_cast<Bytef*>(data.data());
    z.avail_in = static_cast<uInt>(data.size());
    size_t produced = 0;
    for (;;) {
        z.next_out = out.data() + produced;
        z.avail_out = static_cast<uInt>(out.size() - produced);
        int result = ::deflate(&z, Z_SYNC_FLUSH);
        produced = out.size() - z.avail_out;
        if (result != Z_OK && result != Z_BUF_ERROR) throw std::runtime_error("zlib: deflate failed");
        if (z.avail_in == 0 && z.avail_out != 0) break;
        out.resize(out.size() * 2);
    }
    out.resize(produced);
    return out;
}

// --- encoders ----------------------------------------------------------------

namespace {

void encode_raw(std::vector<uint8_t>& out, const DisplaySurface& s, const Rect& r, const PixelFormat& f) {
    put_rect_header(out, r, kEncodingRaw);
    out.reserve(out.size() + static_cast<size_t>(r.w) * r.h * f.bytes_per_pixel());
    for (int y = r.y; y < r.bottom(); ++y) {
        const uint32_t* row = s.row(y);
        for (int x = r.x; x < r.right(); ++x) f.put(out, row[x]);
    }
}

// The distinct colours of a rectangle, up to `limit` (more: returns limit + 1 entries).
std::vector<uint32_t> palette_of(const DisplaySurface& s, const Rect& r, size_t limit) {
    std::vector<uint32_t> colours;
    for (int y = r.y; y < r.bottom(); ++y) {
        const uint32_t* row = s.row(y);
        for (int x = r.x; x < r.right(); ++x) {
            if (std::find(colours.begin(), colours.end(), row[x]) == colours.end()) {
                colours.push_back(row[x]);
                if (colours.size() > limit) return colours;
            }
        }
    }
    return colours;
}

// Hextile, 16x16 tiles: one colour as a background only; two colours as
// background plus foreground runs (one subrectangle per run of a row); more
// as raw pixels.
void encode_hextile(std::vector<uint8_t>& out, const DisplaySurface& s, const Rect& r, const PixelFormat& f) {
    constexpr uint8_t kRaw = 1, kBackground = 2, kForeground = 4, kSubrects = 8;
    put_rect_header(out, r, kEncodingHextile);
    bool have_bg = false;
    uint32_t last_bg = 0;
    for (int ty = r.y; ty < r.bottom(); ty += 16) {
        for (int tx = r.x; tx < r.right(); tx += 16) {
            Rect tile{tx, ty, std::min(16, r.right() - tx), std::min(16, r.bottom() - ty)};
            std::vector<uint32_t> colours = palette_of(s, tile, 2);
            if (colours.size() > 2) {
                put_u8(out, kRaw);
                for (int y = tile.y; y < tile.bottom(); ++y)
                    for (int x = tile.x; x < tile.right(); ++x) f.put(out, s.row(y)[x]);
                have_bg = false;  // a raw tile leaves the background undefined
                continue;
            }
            uint32_t bg = colours[0];
            uint8_t flags = 0;
            if (!have_bg || bg != last_bg) flags |= kBackground;
            std::vector<uint8_t> subrects;
            int count = 0;
            if (colours.size() == 2) {
                uint32_t fg = colours[1];
                for (int y = tile.y; y < tile.bottom(); ++y) {
                    const uint32_t* row = s.row(y);
                    for (int x = tile.x; x < tile.right();) {
                        if (row[x] != fg) {
                            ++x;
                            continue;
                        }
                        int start = x;
                        while (x < tile.right() && row[x] == fg) ++x;
                        subrects.push_back(static_cast<uint8_t>((start - tile.x) << 4 | (y - tile.y)));
                        subrects.push_back(static_cast<uint8_t>((x - start - 1) << 4));
                        ++count;
                    }
                }
                flags |= kForeground | kSubrects;
                put_u8(out, flags);
                if (flags & kBackground) f.put(out, bg);
                f.put(out, fg);
                put_u8(out, static_cast<uint8_t>(count));  // at most 8 runs a row: <= 128
                out.insert(out.end(), subrects.begin(), subrects.end());
            } else {
                put_u8(out, flags);
                if (flags & kBackground) f.put(out, bg);
            }
            have_bg = true;
            last_bg = bg;
        }
    }
}

void encode_zlib(std::vector<uint8_t>& out, const DisplaySurface& s, const Rect& r, const PixelFormat& f,
                 EncoderState& state) {
    std::vector<uint8_t> raw;
    raw.reserve(static_cast<size_t>(r.w) * r.h * f.bytes_per_pixel());
    for (int y = r.y; y < r.bottom(); ++y)
        for (int x = r.x; x < r.right(); ++x) f.put(raw, s.row(y)[x]);
    std::vector<uint8_t> compressed = state.deflate(4, raw);
    put_rect_header(out, r, kEncodingZlib);
    put_u32(out, static_cast<uint32_t>(compressed.size()));
    out.insert(out.end(), compressed.begin(), compressed.end());
}

void put_tight_length(std::vector<uint8_t>& out, size_t length) {
    out.push_back(static_cast<uint8_t>((length & 0x7f) | (length > 0x7f ? 0x80 : 0)));
    if (length > 0x7f) {
        out.push_back(static_cast<uint8_t>(((length >> 7) & 0x7f) | (length > 0x3fff ? 0x80 : 0)));
        if (length > 0x3fff) out.push_back(static_cast<uint8_t>(length >> 14));
    }
}

// Tight: a single colour as a fill; anything else as basic compression
// with the copy filter on stream 0. Rectangles are cut to keep each one's
// data within the protocol's limits (2048 pixels wide, 3-byte lengths).
void encode_tight_one(std::vector<uint8_t>& out, const DisplaySurface& s, const Rect& r, const PixelFormat& f,
                      EncoderState& state) {
    put_rect_header(out, r, kEncodingTight);
    auto put_tpixel = [&](std::vector<uint8_t>& to, uint32_t rgb) {
        if (f.compact_24()) {
            f.put_compact(to, rgb);
        } else {
            f.put(to, rgb);
        }
    };
    std::vector<uint32_t> colours = palette_of(s, r, 1);
    if (colours.size() == 1) {
        put_u8(out, 0x80);  // fill
        put_tpixel(out, colours[0]);
        return;
    }
    std::vector<uint8_t> raw;
    for (int y = r.y; y < r.bottom(); ++y)
        for (int x = r.x; x < r.right(); ++x) put_tpixel(raw, s.row(y)[x]);
    put_u8(out, 0x00);  // basic, stream 0, no filter byte: copy
    if (raw.size() < 12) {
        out.insert(out.end(), raw.begin(), raw.end());
        return;
    }
    std::vector<uint8_t> compressed = state.deflate(0, raw);
    put_tight_length(out, compressed.size());
    out.insert(out.end(), compressed.begin(), compressed.end());
}

// ZRLE: 64x64 tiles in one zlib stream; a tile is solid, packed palette
// (2 to 16 colours) or raw, in compact pixels where the format allows.
void encode_zrle(std::vector<uint8_t>& out, const DisplaySurface& s, const Rect& r, const PixelFormat& f,
                 EncoderState& state) {
    auto put_cpixel = [&](std::vector<uint8_t>& to, uint32_t rgb) {
        if (f.compact_24()) {
            f.put_compact(to, rgb);
        } else {
            f.put(to, rgb);
        }
    };
    std::vector<uint8_t> tiles;
    for (int ty = r.y; ty < r.bottom(); ty += 64) {
        for (int tx = r.x; tx < r.right(); tx += 64) {
            Rect tile{tx, ty, std::min(64, r.right() - tx), std::min(64, r.bottom() - ty)};
            std::vector<uint32_t> colours = palette_of(s, tile, 16);
            if (colours.size() == 1) {
                put_u8(tiles, 1);
                put_cpixel(tiles, colours[0]);
            } else if (colours.size() <= 16) {
                put_u8(tiles, static_cast<uint8_t>(colours.size()));
                for (uint32_t c : colours) put_cpixel(tiles, c);
                int bits = colours.size() == 2 ? 1 : colours.size() <= 4 ? 2 : 4;
                for (int y = tile.y; y < tile.bottom(); ++y) {
                    uint8_t byte = 0;
                    int used = 0;
                    for (int x = tile.x; x < tile.right(); ++x) {
                        auto index = static_cast<uint8_t>(
                            std::find(colours.begin(), colours.end(), s.row(y)[x]) - colours.begin());
                        byte = static_cast<uint8_t>(byte | index << (8 - bits - used));
                        used += bits;
                        if (used == 8) {
                            tiles.push_back(byte);
                            byte = 0;
                            used = 0;
                        }
                    }
                    if (used) tiles.push_back(byte);  // rows start on a byte
                }
            } else {
                put_u8(tiles, 0);
                for (int y = tile.y; y < tile.bottom(); ++y)
                    for (int x = tile.x; x < tile.right(); ++x) put_cpixel(tiles, s.row(y)[x]);
            }
        }
    }
    std::vector<uint8_t> compressed = state.deflate(5, tiles);
    put_rect_header(out, r, kEncodingZrle);
    put_u32(out, static_cast<uint32_t>(compressed.size()));
    out.insert(out.end(), compressed.begin(), compressed.end());
}

}  // namespace

int encode_rect(std::vector<uint8_t>& out, const DisplaySurface& surface, const Rect& rect, int32_t encoding,
                const PixelFormat& format, EncoderState& state) {
    Rect r = rect.clipped(surface.width(), surface.height());
    if (r.empty()) return 0;
    switch (encoding) {
    case kEncodingHextile: encode_hextile(out, surface, r, format); return 1;
    case kEncodingZlib: encode_zlib(out, surface, r, format, state); return 1;
    case kEncodingZrle: encode_zrle(out, surface, r, format, state); return 1;
    case kEncodingTight: {
        // Pieces of at most 2048 x 64 pixels.
        int count = 0;
        for (int y = r.y; y < r.bottom(); y += 64) {
            for (int x = r.x; x < r.right(); x += 2048) {
                encode_tight_one(out, surface, {x, y, std::min(2048, r.right() - x), std::min(64, r.bottom() - y)},
                                 format, state);
                ++count;
            }
        }
        return count;
    }
    default: encode_raw(out, surface, r, format); return 1;
    }
}

void encode_copy_rect(std::vector<uint8_t>& out, const Rect& dst, int src_x, int src_y) {
    put_rect_header(out, dst, kEncodingCopyRect);
    put_u16(out, static_cast<uint16_t>(src_x));
    put_u16(out, static_cast<uint16_t>(src_y));
}

}  // namespace mimic::ui::rfb
