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
#include <vector>

#include "mimic/hw/vga.h"
#include "mimic/ui/console.h"

namespace mimic::hw {

class VgaDisplay : public ui::GraphicHwOps {
public:
    explicit VgaDisplay(const VgaCore& core) : core_(core) {}

    void gfx_update(ui::Console& console) override;
    void invalidate() override { full_update_ = true; }
    bool text_update(ui::TextScreen& screen) override;

private:
    void update_graphics(ui::Console& console, const VgaMode& mode, bool full);
    void update_text(ui::Console& console, const VgaMode& mode, bool full);
    // The dirty pages behind [first, first + length) of video memory,
    // wrapping at its end; consumes their bits.
    void snapshot_dirty(uint32_t first, uint32_t length);
    bool line_dirty(uint32_t first, uint32_t length) const;

    const VgaCore& core_;
    bool full_update_ = true;
    VgaMode mode_;
    std::vector<uint8_t> palette_, font_;
    std::vector<VgaTextCell> cells_;
    int cursor_row_ = -1, cursor_col_ = -1;
    std::vector<bool> dirty_pages_;  // a snapshot for one update, by page
    std::vector<uint8_t> scratch_;
};

}  // namespace mimic::hw
