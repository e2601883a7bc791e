// UUIDs as -uuid and -smbios type=1,uuid= give them:
// "550e8400-e29b-41d4-a716-446655440000".
#pragma once

#include <array>
#include <cstdint>
#include <string_view>

namespace mimic {

// Whether text is 8-4-4-4-12 hex digits.
bool is_valid_uuid(std::string_view text);

// The 16 bytes in text order (all zero for an empty string). The text must
// be valid; SMBIOS reorders the first three fields itself.
std::array<uint8_t, 16> uuid_bytes(std::string_view text);

}  // namespace mimic
