// The shorthand that -serial, -parallel and -monitor accept ("stdio",
// "tcp::4444,server,nowait", "mon:stdio", "file:out.txt", ...), turned into
// chardev options.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "mimic/chardev/options.h"

namespace mimic::chardev {

struct LegacyChardev {
    // nullopt for "none" (no device) and for "chardev:ID".
    std::optional<ChardevOptions> options;
    // "mon:..." also puts a monitor on the (muxed) chardev.
    bool with_monitor = false;
    // "chardev:ID": use the existing chardev ID.
    std::string existing_id;
};

// `id` becomes the chardev's id ("serial0", "compat_monitor0").
// Throws mimic::Error "'SPEC' is not a valid char driver".
LegacyChardev parse_legacy_chardev(std::string_view spec, std::string_view id);

}  // namespace mimic::chardev
