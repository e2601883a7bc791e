// Help texts: `-object help` and `-object TYPE,help`, in QEMU's format.
#pragma once

#include <string>
#include <string_view>

namespace mimic::qom {

// "List of user creatable objects:" and "  NAME" per concrete type, sorted.
std::string object_list_help();

// "iothread options:" and one sorted line per settable property:
//   "  poll-max-ns=<int>"
// or "There are no options for NAME.". Any registered type may be asked
// about, as in QEMU; an unknown one throws mimic::Error
// "Parameter 'qom-type' does not accept value 'NAME'".
std::string object_properties_help(std::string_view type_name);

}  // namespace mimic::qom
