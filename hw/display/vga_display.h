// The VGA's side of its display console: brings the console's surface up
// to date from video memory, converting only what changed.
//
// Graphics modes (planar, chain-4, VBE) redraw a line when a video memory
// page it reads was written since the last update (the dirty bitmap that
// the memory API and the legacy window fill). Text mode compares each
// cell, the cursor and the font with what it drew last. A mode change
// resizes the surface; a palette change redraws everything.
#pragma once

#include <cstdint>
#include <functional>
#include <vector>

#include "mimic/hw/vga.h"
#include "mimic/ui/console.h"

namespace mimic::hw {

class VgaDisplay : public ui::GraphicHwOps {
public:
    // `set_dirty_logging` switches the recording of guest writes to video
    // memory on and off; it is on only while the console has listeners.
    // Without it every update redraws the whole picture (screendump).
    VgaDisplay(const VgaCore& core, std::function<void(bool)> set_dirty_logging)
        : core_(core), set_dirty_logging_(std::move(set_dirty_logging)) {}

    void gfx_update(ui::Console& console) override;
    void invalidate() override { full_update_ = true; }
    bool text_update(ui::TextScreen& screen) override;
    void set_tracking(bool on) override {
        tracking_ = on;
        if (set_dirty_logging_) set_dirty_logging_(on);
    }

private:
    void update_graphics(ui::Console& console, const VgaMode& mode, bool full);
    void update_text(ui::Console& console, const VgaMode& mode, bool full);
    // The dirty pages behind [first, first + length) of video memory,
    // wrapping at its end; consumes their bits.
    void snapshot_dirty(uint32_t first, uint32_t length);
    bool line_dirty(uint32_t first, uint32_t length) const;

    const VgaCore& core_;
    std::function<void(bool)> set_dirty_logging_;
    bool tracking_ = false;
    bool full_update_ = true;
    VgaMode mode_;
    std::vector<uint8_t> palette_, font_;
    std::vector<VgaTextCell> cells_;
    int cursor_row_ = -1, cursor_col_ = -1;
    std::vector<bool> dirty_pages_;  // a snapshot for one update, by page
    std::vector<uint8_t> scratch_;
};

}  // namespace mimic::hw
