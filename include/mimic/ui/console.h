// A display console (QEMU's QemuConsole): the surface a graphics device
// publishes, the front ends listening to it, and the refresh timer that asks
// the device to bring the surface up to date while anyone listens.
//
// The device side implements GraphicHwOps and calls resize()/update(); the
// front ends register a DisplayChangeListener. Consoles are numbered in
// creation order; front ends show console 0 unless told otherwise.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "mimic/ui/display_listener.h"
#include "mimic/ui/rect.h"
#include "mimic/ui/surface.h"

namespace mimic {
class Timer;
}

namespace mimic::ui {

class Console;

// A text screen as text front ends (curses) show it: VGA character cells,
// the character in code page 437 and the attribute's colours (foreground
// in bits 0-3, background in bits 4-6, blink or bright background in 7).
struct TextCell {
    uint8_t ch = ' ';
    uint8_t attr = 0x07;
    bool operator==(const TextCell&) const = default;
};
struct TextScreen {
    int cols = 0, rows = 0;
    std::vector<TextCell> cells;  // rows * cols
    int cursor_col = -1, cursor_row = -1;  // -1: no cursor
};

// What a console asks of its device.
class GraphicHwOps {
public:
    virtual ~GraphicHwOps() = default;
    // The text screen, when the device shows text now; false otherwise.
    virtual bool text_update(TextScreen& screen) {
        (void)screen;
        return false;
    }
    // Bring the surface up to date: resize() if the mode changed, then
    // update() the rectangles that changed since the last call.
    virtual void gfx_update(Console& console) = 0;
    // Everything must be redrawn at the next gfx_update().
    virtual void invalidate() = 0;
    // Listeners came (true) or all left (false): a device may track what
    // changes only while someone looks, and redraw everything otherwise.
    virtual void set_tracking(bool on) { (void)on; }
};

// QEMU's GUI refresh period.
inline constexpr int kRefreshIntervalMs = 30;

class Console {
public:
    // `hw` may be null (no device: the surface stays as resize() left it);
    // it must outlive the console. The console takes the next index.
    explicit Console(GraphicHwOps* hw, std::string device_name = {});
    ~Console();
    Console(const Console&) = delete;
    Console& operator=(const Console&) = delete;

    // Consoles that exist now, by index; null when none has that index.
    static Console* find(int index);
    int index() const { return index_; }
    const std::string& device_name() const { return device_name_; }

    // --- device side
    // A fresh black surface of this size; listeners switch to it.
    void resize(int width, int height);
    DisplaySurface& surface() { return *surface_; }
    const DisplaySurface& surface() const { return *surface_; }
    // Tells the listeners that `rect` of the surface changed.
    void update(const Rect& rect);
    // Tells the listeners a block moved (the device already moved it).
    void copy(int src_x, int src_y, const Rect& dst);

    // --- front end side
    // The listener gets gfx_switch() with the current surface at once.
    void add_listener(DisplayChangeListener& listener);
    void remove_listener(DisplayChangeListener& listener);
    size_t listener_count() const { return listeners_.size(); }
    // Asks the device to bring the surface up to date now (screendump, and
    // every refresh period while listeners exist).
    void hw_update();
    void hw_invalidate();
    // The device's text screen; false in graphics modes.
    bool hw_text(TextScreen& screen);
    // One refresh: hw_update(), then every listener's refresh(). The timer
    // calls it; tests may too.
    void refresh();

private:
    void arm_timer();

    GraphicHwOps* hw_;
    std::string device_name_;
    int index_;
    std::unique_ptr<DisplaySurface> surface_;
    std::vector<DisplayChangeListener*> listeners_;
    std::unique_ptr<Timer> timer_;
};

}  // namespace mimic::ui
