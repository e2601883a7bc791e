// QEMU's keymap files (-k en-us, -k de): which key makes an X11 keysym, so
// a VNC client that sends keysyms types what its user sees on the keys.
//
// The format, one mapping a line:  KEYSYM KEYNUMBER [MODIFIERS...]
//   KEYSYM     an X11 keysym name ("adiaeresis"), "U20AC" or "0x1000000"
//   KEYNUMBER  QEMU's key number (set 1 make code, 0x80 for E0 keys)
//   MODIFIERS  shift, altgr, ctrl, numlock: held when the key makes it;
//              addupper: the upper-case keysym too, with shift;
//              inhibit: skip the line; localstate: no effect here
// plus "include FILE" (from the same directory), "map 0x..." and comments.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <unordered_map>
#include <vector>

#include "mimic/ui/qcode.h"

namespace mimic::ui {

class Keymap {
public:
    // Finds keymaps/NAME under `data_dirs` (QEMU's data directories) and
    // reads it with its includes. Throws mimic::Error with QEMU's text
    // "could not read keymap file: 'NAME'".
    static Keymap load(const std::string& name, const std::vector<std::string>& data_dirs);
    // Reads keymap text; `open_include` returns an included file's text
    // (throwing when it cannot).
    static Keymap parse(const std::string& text,
                        const std::function<std::string(const std::string&)>& open_include);

    struct Key {
        unsigned number;  // QEMU key number
        bool shift = false, altgr = false, ctrl = false, numlock = false;
    };
    // The key that makes `keysym` with the modifiers the user holds: one
    // whose shift/altgr match if there is one, else the first listed;
    // unmapped when the keymap has none.
    QKeyCode lookup(uint32_t keysym, bool shift, bool altgr) const;
    const std::vector<Key>* keys(uint32_t keysym) const;
    size_t size() const { return keys_.size(); }

private:
    void parse_into(const std::string& text, const std::function<std::string(const std::string&)>& open_include,
                    int depth);
    std::unordered_map<uint32_t, std::vector<Key>> keys_;
};

// The value of an X11 keysym name as keymap files use them; 0 when unknown.
uint32_t keysym_from_name(const std::string& name);

}  // namespace mimic::ui
