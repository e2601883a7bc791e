// VgaDisplay: incremental conversion of video memory into the console.
#include "vga_display.h"

#include <algorithm>
#include <cstdint>

#include "mimic/memory/page_bitmap.h"

namespace mimic::hw {

void VgaDisplay::gfx_update(ui::Console& console) {
    VgaMode mode = core_.mode();
    // Untracked, any line may have changed.
    bool full = full_update_ || !tracking_;
    full_update_ = false;
    if (mode != mode_ || (mode.kind == VgaMode::Kind::kBlank && full)) {
        // Blank keeps the last size, as a monitor that lost its signal.
        int width = mode.kind == VgaMode::Kind::kBlank ? console.surface().width() : mode.width;
        int height = mode.kind == VgaMode::Kind::kBlank ? console.surface().height() : mode.height;
        if (width != console.surface().width() || height != console.surface().height() ||
            mode.kind == VgaMode::Kind::kBlank) {
            console.resize(width, height);
        }
        mode_ = mode;
        full = true;
    }
    std::vector<uint8_t> palette;
    core_.palette_state(palette);
    if (palette != palette_) {
        palette_ = std::move(palette);
        full = true;
    }
    switch (mode.kind) {
    case VgaMode::Kind::kBlank:
        if (full) console.update({0, 0, console.surface().width(), console.surface().height()});
        break;
    case VgaMode::Kind::kText: update_text(console, mode, full); break;
    default: update_graphics(console, mode, full); break;
    }
}

bool VgaDisplay::text_update(ui::TextScreen& screen) {
    VgaMode mode = core_.mode();
    if (mode.kind != VgaMode::Kind::kText) return false;
    screen.cols = mode.cols;
    screen.rows = mode.rows;
    screen.cells.resize(static_cast<size_t>(mode.cols) * mode.rows);
    for (int r = 0; r < mode.rows; ++r) {
        for (int c = 0; c < mode.cols; ++c) {
            VgaTextCell cell = core_.text_cell(mode, r, c);
            screen.cells[static_cast<size_t>(r) * mode.cols + c] = {cell.ch, cell.attr};
        }
    }
    core_.text_cursor(mode, screen.cursor_row, screen.cursor_col);
    return true;
}

void VgaDisplay::snapshot_dirty(uint32_t first, uint32_t length) {
    memory::PageBitmap* bitmap = core_.dirty_bitmap();
    uint32_t size = core_.vram_size();
    uint64_t pages = size >> memory::kPageBits;
    dirty_pages_.assign(pages, bitmap == nullptr);
    if (!bitmap || length == 0) return;
    if (length >= size) {
        first = 0;
        length = size;
    }
    uint64_t first_page = first >> memory::kPageBits;
    uint64_t last = static_cast<uint64_t>(first) + length - 1;
    for (uint64_t page = first_page; page <= (last >> memory::kPageBits); ++page) {
        uint64_t wrapped = page % pages;
        if (bitmap->test_and_clear_range(wrapped, wrapped)) dirty_pages_[wrapped] = true;
    }
}

bool VgaDisplay::line_dirty(uint32_t first, uint32_t length) const {
    if (length == 0) return false;
    uint64_t pages = dirty_pages_.size();
    uint64_t last = static_cast<uint64_t>(first) + length - 1;
    for (uint64_t page = first >> memory::kPageBits; page <= (last >> memory::kPageBits); ++page) {
        if (dirty_pages_[page % pages]) return true;
    }
    return false;
}

void VgaDisplay::update_graphics(ui::Console& console, const VgaMode& mode, bool full) {
    ui::DisplaySurface& surface = console.surface();
    // The span of video memory the frame reads: its lowest and highest
    // line bytes (CGA banking puts odd lines above even ones).
    uint64_t low = UINT64_MAX, high = 0;
    for (int y = 0; y < mode.height; ++y) {
        uint32_t line_first, line_length;
        core_.line_span(mode, y, line_first, line_length);
        low = std::min<uint64_t>(low, line_first);
        high = std::max<uint64_t>(high, uint64_t{line_first} + line_length);
    }
    snapshot_dirty(static_cast<uint32_t>(low), static_cast<uint32_t>(std::min<uint64_t>(high - low, core_.vram_size())));

    // Consecutive redrawn lines go out as one rectangle.
    int run_start = -1;
    auto flush = [&](int y) {
        if (run_start >= 0) console.update({0, run_start, mode.width, y - run_start});
        run_start = -1;
    };
    for (int y = 0; y < mode.height; ++y) {
        uint32_t line_first, line_length;
        core_.line_span(mode, y, line_first, line_length);
        if (!full && !line_dirty(line_first, line_length)) {
            flush(y);
            continue;
        }
        core_.draw_line(mode, y, surface.row(y));
        if (run_start < 0) run_start = y;
    }
    flush(mode.height);
}

void VgaDisplay::update_text(ui::Console& console, const VgaMode& mode, bool full) {
    ui::DisplaySurface& surface = console.surface();
    std::vector<uint8_t> font;
    core_.text_font(font);
    if (font != font_) {
        font_ = std::move(font);
        full = true;
    }
    size_t count = static_cast<size_t>(mode.cols) * mode.rows;
    if (cells_.size() != count) {
        cells_.assign(count, {});
        full = true;
    }
    int cursor_row, cursor_col;
    core_.text_cursor(mode, cursor_row, cursor_col);
    bool cursor_moved = cursor_row != cursor_row_ || cursor_col != cursor_col_;
    for (int r = 0; r < mode.rows; ++r) {
        int changed_first = -1, changed_last = -1;
        for (int c = 0; c < mode.cols; ++c) {
            VgaTextCell cell = core_.text_cell(mode, r, c);
            VgaTextCell& cached = cells_[static_cast<size_t>(r) * mode.cols + c];
            bool is_cursor = r == cursor_row && c == cursor_col;
            bool was_cursor = r == cursor_row_ && c == cursor_col_;
            bool redraw = full || cell.ch != cached.ch || cell.attr != cached.attr ||
                          (cursor_moved && (is_cursor || was_cursor));
            if (!redraw) continue;
            cached = cell;
            core_.draw_text_cell(mode, r, c, is_cursor,
                                 surface.row(r * mode.char_height) + c * mode.char_width, surface.width());
            if (changed_first < 0) changed_first = c;
            changed_last = c;
        }
        if (changed_first >= 0) {
            console.update({changed_first * mode.char_width, r * mode.char_height,
                            (changed_last - changed_first + 1) * mode.char_width, mode.char_height});
        }
    }
    cursor_row_ = cursor_row;
    cursor_col_ = cursor_col;
}

}  // namespace mimic::hw
