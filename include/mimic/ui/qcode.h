// QEMU's key codes (QAPI QKeyCode): the names that sendkey, send-key,
// input-send-event and the keymaps speak, and QEMU's key numbers.
#pragma once

#include <optional>
#include <string_view>

namespace mimic::ui {

// An index into QEMU's QKeyCode list; 0 is "unmapped".
using QKeyCode = int;
inline constexpr QKeyCode kQKeyUnmapped = 0;

std::optional<QKeyCode> qcode_from_name(std::string_view name);
std::string_view qcode_name(QKeyCode code);
int qcode_count();
// The key number (set 1 make code, 0x80 added for E0 keys); 0 when none.
unsigned qcode_to_number(QKeyCode code);
// The key with that number; unmapped when none.
QKeyCode qcode_from_number(unsigned number);

}  // namespace mimic::ui
