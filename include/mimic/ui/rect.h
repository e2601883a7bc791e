// A rectangle of pixels on a display surface.
#pragma once

#include <algorithm>

namespace mimic::ui {

struct Rect {
    int x = 0, y = 0, w = 0, h = 0;

    bool empty() const { return w <= 0 || h <= 0; }
    int right() const { return x + w; }
    int bottom() const { return y + h; }
    // The smallest rectangle holding both (an empty one adds nothing).
    Rect united(const Rect& other) const {
        if (empty()) return other;
        if (other.empty()) return *this;
        int left = std::min(x, other.x), top = std::min(y, other.y);
        return {left, top, std::max(right(), other.right()) - left, std::max(bottom(), other.bottom()) - top};
    }
    // Clipped to a width x height surface.
    Rect clipped(int width, int height) const {
        int left = std::clamp(x, 0, width), top = std::clamp(y, 0, height);
        int r = std::clamp(right(), 0, width), b = std::clamp(bottom(), 0, height);
        return {left, top, std::max(0, r - left), std::max(0, b - top)};
    }
    bool operator==(const Rect&) const = default;
};

}  // namespace mimic::ui
