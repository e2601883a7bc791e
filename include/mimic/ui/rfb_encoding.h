// The RFB (VNC) framebuffer encodings, as pure functions from a surface
// rectangle to the bytes of one update rectangle (header included), so
// they are tested without a socket: raw, CopyRect, hextile, zlib, tight
// (fill and basic zlib compression) and ZRLE.
#pragma once

#include <cstdint>
#include <memory>
#include <vector>

#include "mimic/ui/rect.h"

namespace mimic::ui {

class DisplaySurface;

namespace rfb {

inline constexpr int32_t kEncodingRaw = 0;
inline constexpr int32_t kEncodingCopyRect = 1;
inline constexpr int32_t kEncodingHextile = 5;
inline constexpr int32_t kEncodingZlib = 6;
inline constexpr int32_t kEncodingTight = 7;
inline constexpr int32_t kEncodingZrle = 16;
inline constexpr int32_t kEncodingDesktopSize = -223;
inline constexpr int32_t kEncodingPointerTypeChange = -257;
inline constexpr int32_t kEncodingExtKeyEvent = -258;
inline constexpr int32_t kEncodingTightLevel0 = -256;  // ..-247: compression level
inline constexpr int32_t kEncodingTightQuality0 = -32;  // ..-23: JPEG quality

// The client's pixel format (SetPixelFormat); only true colour is served.
struct PixelFormat {
    uint8_t bits_per_pixel = 32;  // 8, 16 or 32
    uint8_t depth = 24;
    bool big_endian = false;
    bool true_colour = true;
    uint16_t red_max = 255, green_max = 255, blue_max = 255;
    uint8_t red_shift = 16, green_shift = 8, blue_shift = 0;

    // The 16 bytes of the wire format.
    void write(std::vector<uint8_t>& out) const;
    static PixelFormat read(const uint8_t* bytes);
    // What the server can serve: bpp 8/16/32, true colour, maxima that fit.
    bool valid() const;
    int bytes_per_pixel() const { return bits_per_pixel / 8; }
    // A 0x00RRGGBB pixel in this format, as an integer (not yet bytes).
    uint32_t convert(uint32_t rgb) const;
    // Appends a converted pixel in the wire byte order.
    void put(std::vector<uint8_t>& out, uint32_t rgb) const;
    // ZRLE's and tight's 3-byte pixel: applies to 32 bpp, depth <= 24
    // formats whose colours fit in three bytes.
    bool compact_24() const;
    void put_compact(std::vector<uint8_t>& out, uint32_t rgb) const;
};

void put_u8(std::vector<uint8_t>& out, uint8_t v);
void put_u16(std::vector<uint8_t>& out, uint16_t v);
void put_u32(std::vector<uint8_t>& out, uint32_t v);
// A rectangle header: position, size, encoding.
void put_rect_header(std::vector<uint8_t>& out, const Rect& r, int32_t encoding);

// Per-client compression state: zlib, tight and ZRLE keep their zlib
// streams for the life of the connection, as the protocol requires.
class EncoderState {
public:
    EncoderState();
    ~EncoderState();
    EncoderState(const EncoderState&) = delete;
    EncoderState& operator=(const EncoderState&) = delete;
    int compression_level = 6;  // tight's pseudo-encoding sets it (0-9)

    // Compresses `data` with persistent stream `stream` (0-3 tight,
    // 4 zlib, 5 ZRLE), ending with a sync flush.
    std::vector<uint8_t> deflate(int stream, const std::vector<uint8_t>& data);

private:
    struct Streams;
    std::unique_ptr<Streams> streams_;
};

// Appends one or more rectangles (their headers included) covering `r` of
// `surface` in `encoding`; returns how many rectangles were written, for
// the update's count.
int encode_rect(std::vector<uint8_t>& out, const DisplaySurface& surface, const Rect& r, int32_t encoding,
                const PixelFormat& format, EncoderState& state);
// CopyRect: `dst` is the same as the area at (src_x, src_y).
void encode_copy_rect(std::vector<uint8_t>& out, const Rect& dst, int src_x, int src_y);

}  // namespace rfb
}  // namespace mimic::ui
