// Console: the surface, its listeners and the refresh timer.
#include "mimic/ui/console.h"

#include <algorithm>

#include "mimic/main_loop/clock.h"
#include "mimic/main_loop/timer.h"

namespace mimic::ui {
namespace {

std::vector<Console*>& consoles() {
    static std::vector<Console*> list;
    return list;
}

}  // namespace

Console::Console(GraphicHwOps* hw, std::string device_name)
    : hw_(hw), device_name_(std::move(device_name)), index_(static_cast<int>(consoles().size())),
      surface_(std::make_unique<DisplaySurface>(640, 480)) {
    // Indexes stay stable while consoles come and go: reuse a free slot.
    auto& list = consoles();
    auto free_slot = std::find(list.begin(), list.end(), nullptr);
    if (free_slot != list.end()) {
        index_ = static_cast<int>(free_slot - list.begin());
        *free_slot = this;
    } else {
        list.push_back(this);
    }
}

Console::~Console() {
    consoles()[static_cast<size_t>(index_)] = nullptr;
}

Console* Console::find(int index) {
    auto& list = consoles();
    if (index < 0 || static_cast<size_t>(index) >= list.size()) return nullptr;
    return list[static_cast<size_t>(index)];
}

void Console::resize(int width, int height) {
    surface_ = std::make_unique<DisplaySurface>(width, height);
    // A listener may remove itself (or another) from inside a callback.
    for (DisplayChangeListener* listener : std::vector(listeners_)) {
        if (std::find(listeners_.begin(), listeners_.end(), listener) != listeners_.end())
            listener->gfx_switch(*surface_);
    }
}

void Console::update(const Rect& rect) {
    Rect clipped = rect.clipped(surface_->width(), surface_->height());
    if (clipped.empty()) return;
    for (DisplayChangeListener* listener : std::vector(listeners_)) {
        if (std::find(listeners_.begin(), listeners_.end(), listener) != listeners_.end())
            listener->gfx_update(clipped);
    }
}

void Console::copy(int src_x, int src_y, const Rect& dst) {
    Rect clipped = dst.clipped(surface_->width(), surface_->height());
    if (clipped != dst || src_x < 0 || src_y < 0 || src_x + dst.w > surface_->width() ||
        src_y + dst.h > surface_->height()) {
        // A copy that does not fit is just a change of the target.
        update(clipped);
        return;
    }
    for (DisplayChangeListener* listener : std::vector(listeners_)) {
        if (std::find(listeners_.begin(), listeners_.end(), listener) != listeners_.end())
            listener->gfx_copy(src_x, src_y, dst);
    }
}

void Console::add_listener(DisplayChangeListener& listener) {
    if (std::find(listeners_.begin(), listeners_.end(), &listener) != listeners_.end()) return;
    listeners_.push_back(&listener);
    if (listeners_.size() == 1 && hw_) {
        hw_->set_tracking(true);
        hw_->invalidate();  // nothing was tracked while nobody looked
    }
    // Bring the surface up to date first, so the newcomer starts with the
    // current picture.
    hw_update();
    listener.gfx_switch(*surface_);
    arm_timer();
}

void Console::remove_listener(DisplayChangeListener& listener) {
    if (std::erase(listeners_, &listener) == 0) return;
    if (listeners_.empty()) {
        if (timer_) timer_->del();
        if (hw_) hw_->set_tracking(false);
    }
}

void Console::hw_update() {
    if (hw_) hw_->gfx_update(*this);
}

void Console::hw_invalidate() {
    if (hw_) hw_->invalidate();
}

bool Console::hw_text(TextScreen& screen) { return hw_ && hw_->text_update(screen); }

void Console::refresh() {
    hw_update();
    for (DisplayChangeListener* listener : std::vector(listeners_)) {
        if (std::find(listeners_.begin(), listeners_.end(), listener) != listeners_.end()) listener->refresh();
    }
}

void Console::arm_timer() {
    if (!timer_) {
        timer_ = std::make_unique<Timer>(Clock::kRealtime, [this] {
            refresh();
            if (!listeners_.empty()) timer_->mod(clock_get_ms(Clock::kRealtime) + kRefreshIntervalMs);
        }, kNsPerMs);
    }
    if (!timer_->pending()) timer_->mod(clock_get_ms(Clock::kRealtime) + kRefreshIntervalMs);
}

}  // namespace mimic::ui
