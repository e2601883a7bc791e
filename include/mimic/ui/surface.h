// What a display device draws into and front ends read from (QEMU's
// DisplaySurface): 32 bits per pixel, x8r8g8b8 in host order, i.e. a pixel
// is the uint32_t 0x00RRGGBB. A pixman image, so front ends convert and
// scale with pixman.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

typedef union pixman_image pixman_image_t;

namespace mimic::ui {

class DisplaySurface {
public:
    // Black. Sizes are clamped to at least 1x1 (pixman refuses empty images).
    DisplaySurface(int width, int height);
    ~DisplaySurface();
    DisplaySurface(const DisplaySurface&) = delete;
    DisplaySurface& operator=(const DisplaySurface&) = delete;

    int width() const { return width_; }
    int height() const { return height_; }
    int stride_bytes() const { return width_ * 4; }
    uint32_t* row(int y) { return &pixels_[static_cast<size_t>(y) * width_]; }
    const uint32_t* row(int y) const { return &pixels_[static_cast<size_t>(y) * width_]; }
    uint32_t pixel(int x, int y) const { return row(y)[x]; }
    pixman_image_t* image() const { return image_; }

    // R, G, B bytes of every pixel, top to bottom (PPM/PNG order).
    std::vector<uint8_t> rgb() const;

private:
    int width_, height_;
    std::vector<uint32_t> pixels_;
    pixman_image_t* image_;
};

}  // namespace mimic::ui
