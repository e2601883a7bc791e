// Where key events from the host side go (the monitor's sendkey, later the
// display back ends): implemented by the keyboard controller of the board.
#pragma once

#include <string_view>

namespace mimic::hw {

class KeyboardInput {
public:
    virtual ~KeyboardInput() = default;
    // A key by QEMU qcode name ("a", "ret", "ctrl"); false for an unknown one.
    virtual bool send_key(std::string_view qcode, bool down) = 0;
};

// Whether the PC keyboard has a key of that QEMU qcode name (ps2_keyboard.cpp).
bool known_qcode(std::string_view qcode);
// The qcode of a QEMU key number ("qnum": the set 1 make code, 0x80 added
// for E0-prefixed keys), as `sendkey 0x1e` gives it; empty when none.
std::string_view qcode_of_number(unsigned number);

}  // namespace mimic::hw
