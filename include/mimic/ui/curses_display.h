// -display curses: the console's text screen in the terminal through
// ncurses, and the terminal's keys into the input layer. Graphics modes
// show a one-line note instead, as QEMU's curses display does.
#pragma once

#include <memory>
#include <string>

#include "mimic/ui/display_listener.h"
#include "mimic/ui/qcode.h"

namespace mimic::ui {

class Console;

// A key the terminal delivered: which PC key and which modifiers to hold.
struct TerminalKey {
    QKeyCode key = kQKeyUnmapped;
    bool shift = false, ctrl = false;
};
// What a curses key code means on a US keyboard; unmapped when nothing.
TerminalKey terminal_key(int curses_key);

class CursesDisplay : public DisplayChangeListener {
public:
    // Takes over the terminal on standard input/output until destroyed.
    explicit CursesDisplay(Console& console);
    ~CursesDisplay() override;
    CursesDisplay(const CursesDisplay&) = delete;
    CursesDisplay& operator=(const CursesDisplay&) = delete;

    void gfx_switch(const DisplaySurface& surface) override;
    void gfx_update(const Rect&) override {}
    void refresh() override;

private:
    class Impl;
    std::unique_ptr<Impl> impl_;
};

}  // namespace mimic::ui
