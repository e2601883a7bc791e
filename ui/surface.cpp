// DisplaySurface: a pixman x8r8g8b8 image over memory it owns.
#include "mimic/ui/surface.h"

#include <pixman.h>

#include <algorithm>
#include <new>

namespace mimic::ui {

DisplaySurface::DisplaySurface(int width, int height)
    : width_(std::max(width, 1)), height_(std::max(height, 1)),
      pixels_(static_cast<size_t>(width_) * height_, 0) {
    image_ = pixman_image_create_bits(PIXMAN_x8r8g8b8, width_, height_, pixels_.data(), width_ * 4);
    if (!image_) throw std::bad_alloc();
}

DisplaySurface::~DisplaySurface() { pixman_image_unref(image_); }

std::vector<uint8_t> DisplaySurface::rgb() const {
    std::vector<uint8_t> out;
    out.reserve(pixels_.size() * 3);
    for (uint32_t p : pixels_) {
        out.push_back(static_cast<uint8_t>(p >> 16));
        out.push_back(static_cast<uint8_t>(p >> 8));
        out.push_back(static_cast<uint8_t>(p));
    }
    return out;
}

}  // namespace mimic::ui
