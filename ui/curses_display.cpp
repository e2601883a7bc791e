// The curses display: text cells drawn with ncursesw, keys read from it.
#include "mimic/ui/curses_display.h"

#include <ncursesw/curses.h>
#include <unistd.h>

#include <clocale>
#include <cstring>
#include <string>

#include "mimic/main_loop/fd_watch.h"
#include "mimic/ui/console.h"
#include "mimic/ui/input.h"
#include "mimic/ui/surface.h"

namespace mimic::ui {
namespace {

constexpr uint16_t kCp437[256] = {
#include "cp437_table.inc"
};

// VGA colour order (black, blue, green, cyan, red, magenta, brown, grey)
// to curses' (black, red, green, yellow, blue, magenta, cyan, white).
constexpr short kCursesColour[8] = {COLOR_BLACK, COLOR_BLUE,    COLOR_GREEN, COLOR_CYAN,
                                    COLOR_RED,   COLOR_MAGENTA, COLOR_YELLOW, COLOR_WHITE};

QKeyCode key(const char* name) { return qcode_from_name(name).value_or(kQKeyUnmapped); }

}  // namespace

TerminalKey terminal_key(int k) {
    struct Special {
        int code;
        const char* name;
    };
    static const Special kSpecial[] = {
        {KEY_UP, "up"},       {KEY_DOWN, "down"},    {KEY_LEFT, "left"},     {KEY_RIGHT, "right"},
        {KEY_HOME, "home"},   {KEY_END, "end"},      {KEY_PPAGE, "pgup"},    {KEY_NPAGE, "pgdn"},
        {KEY_IC, "insert"},   {KEY_DC, "delete"},    {KEY_BACKSPACE, "backspace"}, {KEY_ENTER, "ret"},
        {127, "backspace"},   {27, "esc"},           {'\t', "tab"},          {'\n', "ret"},
        {'\r', "ret"},        {' ', "spc"},
    };
    for (const Special& s : kSpecial) {
        if (k == s.code) return {key(s.name)};
    }
    if (k >= KEY_F(1) && k <= KEY_F(12)) return {key(("f" + std::to_string(k - KEY_F(0))).c_str())};
    if (k >= 'a' && k <= 'z') return {key(std::string(1, static_cast<char>(k)).c_str())};
    if (k >= 'A' && k <= 'Z') return {key(std::string(1, static_cast<char>(k - 'A' + 'a')).c_str()), true};
    if (k >= 1 && k <= 26) return {key(std::string(1, static_cast<char>(k - 1 + 'a')).c_str()), false, true};
    if (k >= '0' && k <= '9') return {key(std::string(1, static_cast<char>(k)).c_str())};
    // US layout punctuation: unshifted, then shifted.
    static const char* const kPlain = "-=[];'`\\,./";
    static const char* const kPlainNames[] = {"minus", "equal", "bracket_left", "bracket_right", "semicolon",
                                              "apostrophe", "grave_accent", "backslash", "comma", "dot", "slash"};
    static const char* const kShifted = "_+{}:\"~|<>?";
    static const char* const kDigitsShifted = ")!@#$%^&*(";
    for (int i = 0; kPlain[i]; ++i) {
        if (k == kPlain[i]) return {key(kPlainNames[i])};
        if (k == kShifted[i]) return {key(kPlainNames[i]), true};
    }
    for (int i = 0; kDigitsShifted[i]; ++i) {
        if (k == kDigitsShifted[i]) return {key(std::string(1, static_cast<char>('0' + i)).c_str()), true};
    }
    return {};
}

class CursesDisplay::Impl {
public:
    explicit Impl(Console& console) : console_(console) {
        std::setlocale(LC_CTYPE, "");
        initscr();
        raw();
        noecho();
        nonl();
        keypad(stdscr, TRUE);
        nodelay(stdscr, TRUE);
        set_escdelay(25);
        if (has_colors()) {
            start_color();
            for (short fg = 0; fg < 8; ++fg)
                for (short bg = 0; bg < 8; ++bg)
                    init_pair(static_cast<short>(1 + fg * 8 + bg), kCursesColour[fg], kCursesColour[bg]);
        }
        stdin_watch_ = FdWatch(STDIN_FILENO, {.readable = [this] { read_keys(); }});
    }
    ~Impl() {
        stdin_watch_.remove();
        endwin();
    }

    void draw() {
        TextScreen screen;
        if (!console_.hw_text(screen)) {
            if (!graphics_note_shown_) {
                erase();
                const DisplaySurface& s = console_.surface();
                std::string note = std::to_string(s.width()) + " x " + std::to_string(s.height()) + " Graphic mode";
                mvaddstr(LINES / 2, std::max(0, (COLS - static_cast<int>(note.size())) / 2), note.c_str());
                curs_set(0);
                ::refresh();
                graphics_note_shown_ = true;
                last_ = {};
            }
            return;
        }
        graphics_note_shown_ = false;
        bool full = screen.cols != last_.cols || screen.rows != last_.rows;
        if (full) erase();
        for (int r = 0; r < screen.rows && r < LINES; ++r) {
            for (int c = 0; c < screen.cols && c < COLS; ++c) {
                size_t i = static_cast<size_t>(r) * screen.cols + c;
                const TextCell& cell = screen.cells[i];
                if (!full && last_.cells[i] == cell) continue;
                wchar_t text[2] = {static_cast<wchar_t>(kCp437[cell.ch]), 0};
                attr_t attrs = (cell.attr & 0x08) ? A_BOLD : A_NORMAL;
                short pair = has_colors() ? static_cast<short>(1 + (cell.attr & 7) * 8 + ((cell.attr >> 4) & 7)) : 0;
                cchar_t cc;
                setcchar(&cc, text, attrs, pair, nullptr);
                mvadd_wch(r, c, &cc);
            }
        }
        if (screen.cursor_row >= 0 && screen.cursor_row < LINES && screen.cursor_col < COLS) {
            curs_set(1);
            move(screen.cursor_row, screen.cursor_col);
        } else {
            curs_set(0);
        }
        ::refresh();
        last_ = std::move(screen);
    }

    void read_keys() {
        for (int k = getch(); k != ERR; k = getch()) {
            TerminalKey t = terminal_key(k);
            if (t.key == kQKeyUnmapped) continue;
            // The terminal reports a key once: press and release together.
            QKeyCode shift = key("shift"), ctrl = key("ctrl");
            if (t.ctrl) input_send(InputEvent::key_event(ctrl, true));
            if (t.shift) input_send(InputEvent::key_event(shift, true));
            input_send(InputEvent::key_event(t.key, true));
            input_send(InputEvent::key_event(t.key, false));
            if (t.shift) input_send(InputEvent::key_event(shift, false));
            if (t.ctrl) input_send(InputEvent::key_event(ctrl, false));
            input_sync();
        }
    }

private:
    Console& console_;
    FdWatch stdin_watch_;
    TextScreen last_;
    bool graphics_note_shown_ = false;
};

CursesDisplay::CursesDisplay(Console& console) : impl_(std::make_unique<Impl>(console)) {
    console.add_listener(*this);
}

CursesDisplay::~CursesDisplay() = default;

void CursesDisplay::gfx_switch(const DisplaySurface&) {}

void CursesDisplay::refresh() { impl_->draw(); }

}  // namespace mimic::ui
