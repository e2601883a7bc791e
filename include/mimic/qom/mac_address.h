// A MAC address as -device ...,mac= accepts and prints it.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace mimic::qom {

struct MacAddress {
    std::array<uint8_t, 6> bytes{};

    // All zeroes means "not set": NIC models then pick one at realize.
    bool is_zero() const;
    // "52:54:00:12:34:56" (lower-case hex, as QEMU prints it).
    std::string to_string() const;
    // Six pairs of hex digits separated by ':' or '-'; nullopt otherwise.
    static std::optional<MacAddress> parse(std::string_view text);

    friend bool operator==(const MacAddress&, const MacAddress&) = default;
};

}  // namespace mimic::qom
