// Help texts: `-device help` and `-device NAME,help`, in QEMU's format.
#pragma once

#include <string>
#include <string_view>

namespace mimic::qom {

// All user-creatable device types grouped by category:
//   Network devices:
//   name "e1000", bus PCI, alias "e1000-82540em", desc "Intel Gigabit Ethernet"
// Categories are separated by a blank line; devices without one come last
// under "Uncategorized devices". `show_no_user` adds the other types,
// marked ", no-user".
std::string device_list_help(bool show_no_user = false);

// "e1000 options:" and one sorted line per property:
//   "  mac=<str>              - Ethernet 6-byte MAC Address, example: 52:54:00:12:34:56"
// or "There are no options for NAME.". Throws mimic::Error for names
// user_device_type() refuses.
std::string device_properties_help(std::string_view driver);

}  // namespace mimic::qom
