// Each RFB encoder against a decoder written from the protocol: what is
// encoded decodes to the surface's pixels, in several client formats.
#include <gtest/gtest.h>
#include <zlib.h>

#include <cstring>
#include <stdexcept>
#include <vector>

#include "mimic/ui/rfb_encoding.h"
#include "mimic/ui/surface.h"

using namespace mimic::ui;
using namespace mimic::ui::rfb;

namespace {

// A client's view: decodes rectangles into client-format pixel values.
class Decoder {
public:
    Decoder(int w, int h, PixelFormat f) : w_(w), h_(h), f_(f), fb_(static_cast<size_t>(w) * h, 0xdeadbeef) {
        for (auto& z : zs_) {
            std::memset(&z, 0, sizeof z);
            inflateInit(&z);
        }
    }
    ~Decoder() {
        for (auto& z : zs_) inflateEnd(&z);
    }
    uint32_t at(int x, int y) const { return fb_[static_cast<size_t>(y) * w_ + x]; }

    // Decodes one rectangle from `p`; returns the bytes used.
    size_t rect(const std::vector<uint8_t>& data, size_t pos) {
        p_ = &data;
        pos_ = pos;
        int x = u16(), y = u16(), w = u16(), h = u16();
        int32_t enc = static_cast<int32_t>(u32());
        switch (enc) {
        case kEncodingRaw:
            for (int j = 0; j < h; ++j)
                for (int i = 0; i < w; ++i) set(x + i, y + j, pixel(*p_, pos_));
            break;
        case kEncodingCopyRect: {
            int sx = u16(), sy = u16();
            std::vector<uint32_t> copy(fb_);
            for (int j = 0; j < h; ++j)
                for (int i = 0; i < w; ++i) set(x + i, y + j, copy[static_cast<size_t>(sy + j) * w_ + sx + i]);
            break;
        }
        case kEncodingHextile: hextile(x, y, w, h); break;
        case kEncodingZlib: {
            std::vector<uint8_t> raw = inflate(4, u32());
            size_t at = 0;
            for (int j = 0; j < h; ++j)
                for (int i = 0; i < w; ++i) set(x + i, y + j, pixel(raw, at));
            break;
        }
        case kEncodingTight: tight(x, y, w, h); break;
        case kEncodingZrle: zrle(x, y, w, h); break;
        default: throw std::runtime_error("unknown encoding");
        }
        return pos_ - pos;
    }

private:
    int u8() { return (*p_).at(pos_++); }
    int u16() { int v = u8() << 8; return v | u8(); }
    uint32_t u32() { uint32_t v = static_cast<uint32_t>(u16()) << 16; return v | static_cast<uint32_t>(u16()); }
    void set(int x, int y, uint32_t v) {
        if (x < 0 || y < 0 || x >= w_ || y >= h_) throw std::runtime_error("pixel outside the framebuffer");
        fb_[static_cast<size_t>(y) * w_ + x] = v;
    }
    uint32_t pixel(const std::vector<uint8_t>& d, size_t& at) const {
        int n = f_.bits_per_pixel / 8;
        uint32_t v = 0;
        for (int i = 0; i < n; ++i) v |= uint32_t{d.at(at + i)} << (8 * (f_.big_endian ? n - 1 - i : i));
        at += static_cast<size_t>(n);
        return v;
    }
    uint32_t cpixel(const std::vector<uint8_t>& d, size_t& at) const {
        if (!f_.compact_24()) return pixel(d, at);
        uint32_t v = 0;
        for (int i = 0; i < 3; ++i) v |= uint32_t{d.at(at + i)} << (8 * (f_.big_endian ? 2 - i : i));
        at += 3;
        bool low = (f_.convert(0xffffff) & 0xff000000u) == 0;
        return low ? v : v << 8;
    }
    std::vector<uint8_t> inflate(int stream, size_t length) {
        z_stream& z = zs_[stream];
        std::vector<uint8_t> in(p_->begin() + static_cast<std::ptrdiff_t>(pos_),
                                p_->begin() + static_cast<std::ptrdiff_t>(pos_ + length));
        pos_ += length;
        std::vector<uint8_t> out(1 << 24);
        z.next_in = in.data();
        z.avail_in = static_cast<uInt>(in.size());
        z.next_out = out.data();
        z.avail_out = static_cast<uInt>(out.size());
        int r = ::inflate(&z, Z_SYNC_FLUSH);
        if (r != Z_OK && r != Z_BUF_ERROR) throw std::runtime_error("inflate failed");
        if (z.avail_in != 0) throw std::runtime_error("inflate left input");
        out.resize(out.size() - z.avail_out);
        return out;
    }
    void hextile(int x, int y, int w, int h) {
        uint32_t bg = 0, fg = 0;
        for (int ty = y; ty < y + h; ty += 16) {
            for (int tx = x; tx < x + w; tx += 16) {
                int tw = std::min(16, x + w - tx), th = std::min(16, y + h - ty);
                int flags = u8();
                if (flags & 1) {
                    for (int j = 0; j < th; ++j)
                        for (int i = 0; i < tw; ++i) set(tx + i, ty + j, pixel(*p_, pos_));
                    continue;
                }
                if (flags & 2) bg = pixel(*p_, pos_);
                for (int j = 0; j < th; ++j)
                    for (int i = 0; i < tw; ++i) set(tx + i, ty + j, bg);
                if (flags & 4) fg = pixel(*p_, pos_);
                if (flags & 8) {
                    int n = u8();
                    for (int k = 0; k < n; ++k) {
                        uint32_t c = (flags & 16) ? pixel(*p_, pos_) : fg;
                        int xy = u8(), wh = u8();
                        int sx = xy >> 4, sy = xy & 15, sw = (wh >> 4) + 1, sh = (wh & 15) + 1;
                        for (int j = 0; j < sh; ++j)
                            for (int i = 0; i < sw; ++i) set(tx + sx + i, ty + sy + j, c);
                    }
                }
            }
        }
    }
    size_t tight_length() {
        size_t len = 0;
        for (int shift = 0; shift < 21; shift += 7) {
            int b = u8();
            len |= static_cast<size_t>(b & (shift == 14 ? 0xff : 0x7f)) << shift;
            if (!(b & 0x80) || shift == 14) break;
        }
        return len;
    }
    void tight(int x, int y, int w, int h) {
        int control = u8();
        for (int s = 0; s < 4; ++s)
            if (control & (1 << s)) inflateReset(&zs_[s]);
        int type = control >> 4;
        if (type == 8) {
            uint32_t c = cpixel(*p_, pos_);
            for (int j = 0; j < h; ++j)
                for (int i = 0; i < w; ++i) set(x + i, y + j, c);
            return;
        }
        if (type > 7) throw std::runtime_error("tight: unexpected compression type");
        if (type & 4) throw std::runtime_error("tight: filters are not expected");
        int psize = f_.compact_24() ? 3 : f_.bits_per_pixel / 8;
        size_t raw_size = static_cast<size_t>(w) * h * psize;
        std::vector<uint8_t> raw;
        if (raw_size < 12) {
            raw.assign(p_->begin() + static_cast<std::ptrdiff_t>(pos_), p_->begin() + static_cast<std::ptrdiff_t>(pos_ + raw_size));
            pos_ += raw_size;
        } else {
            size_t len = tight_length();
            raw = inflate(type & 3, len);
        }
        if (raw.size() != raw_size) throw std::runtime_error("tight: wrong data size");
        size_t at = 0;
        for (int j = 0; j < h; ++j)
            for (int i = 0; i < w; ++i) set(x + i, y + j, cpixel(raw, at));
    }
    void zrle(int x, int y, int w, int h) {
        std::vector<uint8_t> d = inflate(5, u32());
        size_t at = 0;
        for (int ty = y; ty < y + h; ty += 64) {
            for (int tx = x; tx < x + w; tx += 64) {
                int tw = std::min(64, x + w - tx), th = std::min(64, y + h - ty);
                int sub = d.at(at++);
                if (sub == 0) {
                    for (int j = 0; j < th; ++j)
                        for (int i = 0; i < tw; ++i) set(tx + i, ty + j, cpixel(d, at));
                } else if (sub == 1) {
                    uint32_t c = cpixel(d, at);
                    for (int j = 0; j < th; ++j)
                        for (int i = 0; i < tw; ++i) set(tx + i, ty + j, c);
                } else if (sub <= 16) {
                    std::vector<uint32_t> pal;
                    for (int k = 0; k < sub; ++k) pal.push_back(cpixel(d, at));
                    int bits = sub == 2 ? 1 : sub <= 4 ? 2 : 4;
                    for (int j = 0; j < th; ++j) {
                        int used = 8;
                        uint8_t byte = 0;
                        for (int i = 0; i < tw; ++i) {
                            if (used == 8) {
                                byte = d.at(at++);
                                used = 0;
                            }
                            int index = (byte >> (8 - bits - used)) & ((1 << bits) - 1);
                            used += bits;
                            set(tx + i, ty + j, pal.at(static_cast<size_t>(index)));
                        }
                    }
                } else {
                    throw std::runtime_error("zrle: unexpected subencoding");
                }
            }
        }
    }

    int w_, h_;
    PixelFormat f_;
    std::vector<uint32_t> fb_;
    z_stream zs_[6];
    const std::vector<uint8_t>* p_ = nullptr;
    size_t pos_ = 0;
};

// Solid areas, two-colour "text", a few colours and noise: every path of
// every encoder.
void paint(DisplaySurface& s, uint32_t seed) {
    for (int y = 0; y < s.height(); ++y) {
        for (int x = 0; x < s.width(); ++x) {
            uint32_t v;
            if (y < 40) v = 0x203040;
            else if (y < 80) v = ((x * 7 + y * 3 + seed) % 5 == 0) ? 0xffffff : 0x0000aa;
            else if (y < 120) v = (x / 9 + y / 5 + seed) % 6 * 0x2a2a2a;
            else v = (x * 2654435761u + y * 40503u + seed * 977u) & 0xffffff;
            s.row(y)[x] = v;
        }
    }
}

PixelFormat format_16_be() {
    PixelFormat f;
    f.bits_per_pixel = 16;
    f.depth = 16;
    f.big_endian = true;
    f.red_max = 31, f.green_max = 63, f.blue_max = 31;
    f.red_shift = 11, f.green_shift = 5, f.blue_shift = 0;
    return f;
}

PixelFormat format_8() {
    PixelFormat f;
    f.bits_per_pixel = 8;
    f.depth = 8;
    f.red_max = 7, f.green_max = 7, f.blue_max = 3;
    f.red_shift = 5, f.green_shift = 2, f.blue_shift = 0;
    return f;
}

PixelFormat format_32_be_high() {  // colour in the top three bytes
    PixelFormat f;
    f.big_endian = true;
    f.red_shift = 24, f.green_shift = 16, f.blue_shift = 8;
    return f;
}

}  // namespace

TEST(RfbEncoding, EveryEncodingDecodesToTheSurface) {
    DisplaySurface surface(203, 157);  // not a multiple of any tile size
    for (PixelFormat format : {PixelFormat{}, format_16_be(), format_8(), format_32_be_high()}) {
        ASSERT_TRUE(format.valid());
        for (int32_t encoding : {kEncodingRaw, kEncodingHextile, kEncodingZlib, kEncodingTight, kEncodingZrle}) {
            SCOPED_TRACE(testing::Message() << "encoding " << encoding << " bpp " << int(format.bits_per_pixel));
            EncoderState state;
            Decoder client(surface.width(), surface.height(), format);
            // Two updates through the same streams: state must carry over.
            for (uint32_t round = 0; round < 2; ++round) {
                paint(surface, round);
                std::vector<Rect> rects = {{0, 0, 203, 157}, {5, 33, 70, 100}, {200, 150, 3, 7}};
                for (const Rect& r : rects) {
                    std::vector<uint8_t> out;
                    int count = encode_rect(out, surface, r, encoding, format, state);
                    size_t pos = 0;
                    for (int i = 0; i < count; ++i) pos += client.rect(out, pos);
                    EXPECT_EQ(pos, out.size());
                }
                for (int y = 0; y < surface.height(); ++y)
                    for (int x = 0; x < surface.width(); ++x)
                        ASSERT_EQ(client.at(x, y), format.convert(surface.pixel(x, y))) << x << "," << y;
            }
        }
    }
}

TEST(RfbEncoding, CopyRectAndCompressionPays) {
    DisplaySurface surface(64, 64);
    paint(surface, 1);
    PixelFormat format;
    Decoder client(64, 64, format);
    EncoderState state;
    std::vector<uint8_t> out;
    encode_rect(out, surface, {0, 0, 64, 64}, kEncodingRaw, format, state);
    client.rect(out, 0);
    out.clear();
    encode_copy_rect(out, {10, 20, 30, 8}, 0, 0);
    EXPECT_EQ(client.rect(out, 0), out.size());
    EXPECT_EQ(client.at(10, 20), format.convert(surface.pixel(0, 0)));
    EXPECT_EQ(client.at(39, 27), format.convert(surface.pixel(29, 7)));
    // A solid area costs a few bytes in the compressing encodings.
    for (int32_t encoding : {kEncodingHextile, kEncodingTight, kEncodingZrle}) {
        out.clear();
        encode_rect(out, surface, {0, 0, 64, 32}, encoding, format, state);
        EXPECT_LT(out.size(), 200u) << encoding;
    }
}

TEST(RfbEncoding, PixelFormats) {
    PixelFormat bad;
    bad.true_colour = false;
    EXPECT_FALSE(bad.valid());
    PixelFormat odd;
    odd.red_max = 200;
    EXPECT_FALSE(odd.valid());
    PixelFormat wide;
    wide.bits_per_pixel = 24;
    EXPECT_FALSE(wide.valid());
    EXPECT_EQ(format_16_be().convert(0xff8000), (31u << 11) | (32u << 5));
    std::vector<uint8_t> bytes;
    format_16_be().put(bytes, 0xffffff);
    EXPECT_EQ(bytes, (std::vector<uint8_t>{0xff, 0xff}));
    std::vector<uint8_t> wire;
    PixelFormat{}.write(wire);
    EXPECT_EQ(wire, (std::vector<uint8_t>{32, 24, 0, 1, 0, 255, 0, 255, 0, 255, 16, 8, 0, 0, 0, 0}));
}
