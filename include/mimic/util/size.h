// Parsing of sizes and numbers the way QEMU's command line and tools accept them.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace mimic {

// Parses "512", "64K", "2G", "1.5G", "0x1000" with an optional binary suffix
// (B K M G T P E, either case), with QEMU's rules: leading blanks pass, "1.k"
// is 1 KiB, a fraction needs a unit above bytes and is rounded half up, hex
// takes no fraction. A number without a suffix is multiplied by
// `default_unit` (1 for bytes). Returns nullopt for anything that is not a
// non-negative size below 2^64.
std::optional<uint64_t> parse_size(std::string_view text, uint64_t default_unit = 1);

// The same, telling a malformed size from one of 2^64 or more, which QEMU
// reports differently ("expects a non-negative number" / "is out of range").
enum class SizeError { kNone, kInvalid, kOutOfRange };
struct SizeResult {
    SizeError error;
    uint64_t value;
};
SizeResult parse_size_checked(std::string_view text, uint64_t default_unit = 1);

// Strict integer parsing (decimal, 0x hex, 0 octal as strtoll does), whole string.
std::optional<int64_t> parse_int(std::string_view text);
std::optional<uint64_t> parse_uint(std::string_view text);

// "on/off/yes/no/true/false" as QEMU accepts for bool properties.
std::optional<bool> parse_bool(std::string_view text);

// Human-readable size as qemu-img prints it: "20 GiB", "1.5 MiB", "512 B".
std::string format_size(uint64_t bytes);

}  // namespace mimic
