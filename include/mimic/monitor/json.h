// JSON values as the monitor handles them, and QEMU's way of printing them.
//
// The monitor uses nlohmann's ordered_json so that members stay in the order
// a command put them in: QMP clients do not care, but people comparing
// transcripts with QEMU's do, and the QAPI introspection is easier to read.
#pragma once

#include <nlohmann/json.hpp>

#include <string>

namespace mimic::monitor {

using Json = nlohmann::ordered_json;

// Serializes `value` byte for byte like QEMU's JSON writer: ", " and ": "
// separators on one line, or four-space indentation when `pretty` (-qmp-pretty
// and qmp-shell -p); strings escape control characters and everything outside
// printable ASCII as \uXXXX (invalid UTF-8 becomes \uFFFD); doubles use %.17g.
std::string to_qmp_text(const Json& value, bool pretty = false);

// Converts a JSON value from the run-state layer (plain nlohmann::json, whose
// objects are sorted by key) into the monitor's ordered representation.
Json from_plain(const nlohmann::json& value);

}  // namespace mimic::monitor
