// A PNG file of an RGB24 picture, for screendump -f png.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

namespace mimic::system {

// 8-bit RGB, no interlace, filter 0 on every row, one zlib stream.
std::vector<uint8_t> encode_png(int width, int height, std::span<const uint8_t> rgb);

}  // namespace mimic::system
