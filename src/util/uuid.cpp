#include "mimic/util/uuid.h"

#include <cctype>

namespace mimic {

bool is_valid_uuid(std::string_view text) {
    static constexpr int kGroups[] = {8, 4, 4, 4, 12};
    size_t pos = 0;
    for (int g = 0; g < 5; ++g) {
        for (int i = 0; i < kGroups[g]; ++i, ++pos) {
            if (pos >= text.size() || !std::isxdigit(static_cast<unsigned char>(text[pos]))) return false;
        }
        if (g < 4) {
            if (pos >= text.size() || text[pos] != '-') return false;
            ++pos;
        }
    }
    return pos == text.size();
}

std::array<uint8_t, 16> uuid_bytes(std::string_view text) {
    std::array<uint8_t, 16> bytes{};
    size_t n = 0;
    int high = -1;
    for (char c : text) {
        if (!std::isxdigit(static_cast<unsigned char>(c))) continue;
        const int digit = c <= '9' ? c - '0' : (c | 0x20) - 'a' + 10;
        if (high < 0) {
            high = digit;
        } else if (n < bytes.size()) {
            bytes[n++] = static_cast<uint8_t>(high << 4 | digit);
            high = -1;
        }
    }
    return bytes;
}

}  // namespace mimic
