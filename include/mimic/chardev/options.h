// Chardev options as a dictionary of QemuOpts-style key/values.
//
// "socket,id=mon0,path=/tmp/m.sock,server=on,wait=off" becomes
//   {backend: socket, id: mon0, path: /tmp/m.sock, server: on, wait: off}.
// The legacy spellings are accepted both when parsing a string and when
// reading a dictionary someone else built: a bare "server" means server=on
// and "nowait" means wait=off.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>

namespace mimic::chardev {

using ChardevOptions = std::map<std::string, std::string>;

// Parses a -chardev argument; the first element without '=' is the
// backend. ",," is a literal comma. Throws mimic::Error.
ChardevOptions parse_chardev_string(std::string_view text);

// Folds legacy boolean spellings into canonical ones: "server" with an
// empty value -> server=on, "nowait"/"nowait=on" -> wait=off.
ChardevOptions normalize_options(const ChardevOptions& options);

// Typed access; throw mimic::Error with QEMU's wording on bad values
// ("Parameter 'server' expects 'on' or 'off'").
std::optional<std::string> opt_string(const ChardevOptions& options, const std::string& key);
std::optional<bool> opt_bool(const ChardevOptions& options, const std::string& key);
std::optional<uint64_t> opt_number(const ChardevOptions& options, const std::string& key);

// Re-serialises in "backend,key=value,..." form (for messages and tests).
std::string options_to_string(const ChardevOptions& options);

}  // namespace mimic::chardev
