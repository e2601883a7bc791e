#include "mimic/util/size.h"

#include <cerrno>
#include <cmath>
#include <cstdlib>

#include <fmt/format.h>

namespace mimic {
namespace {

// Binary exponent (in units of 10 bits) of a size suffix, or -1.
int suffix_shift(char c) {
    switch (c) {
        case 'b': case 'B': return 0;
        case 'k': case 'K': return 10;
        case 'm': case 'M': return 20;
        case 'g': case 'G': return 30;
        case 't': case 'T': return 40;
        case 'p': case 'P': return 50;
        case 'e': case 'E': return 60;
        default: return -1;
    }
}

}  // namespace

std::optional<uint64_t> parse_size(std::string_view text, uint64_t default_unit) {
    if (text.empty() || text.front() == '-' || text.front() == ' ') return std::nullopt;
    std::string s(text);
    const char* begin = s.c_str();
    char* end = nullptr;

    // Hex values are integers only ("0x1000"), as in QEMU.
    if (s.size() > 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
        errno = 0;
        unsigned long long value = std::strtoull(begin, &end, 16);
        if (errno || end == begin + 2) return std::nullopt;
        uint64_t unit = default_unit;
        if (*end) {
            int shift = suffix_shift(*end);
            if (shift < 0 || end[1]) return std::nullopt;
            unit = uint64_t{1} << shift;
        }
        if (unit && value > UINT64_MAX / unit) return std::nullopt;
        return value * unit;
    }

    errno = 0;
    unsigned long long integer = std::strtoull(begin, &end, 10);
    if (errno || end == begin) return std::nullopt;
    long double value = integer;
    bool fractional = false;
    if (*end == '.') {
        char* frac_end = nullptr;
        long double frac = std::strtold(end, &frac_end);
        if (frac_end == end + 1) return std::nullopt;  // "1." has no digits
        value += frac;
        fractional = true;
        end = frac_end;
    }
    uint64_t unit = default_unit;
    if (*end) {
        int shift = suffix_shift(*end);
        if (shift < 0 || end[1]) return std::nullopt;
        unit = uint64_t{1} << shift;
    }
    // A fraction of a byte is meaningless.
    if (fractional && unit == 1) return std::nullopt;
    long double total = value * static_cast<long double>(unit);
    if (total >= 18446744073709551616.0L) return std::nullopt;
    return static_cast<uint64_t>(total);
}

std::optional<int64_t> parse_int(std::string_view text) {
    if (text.empty()) return std::nullopt;
    std::string s(text);
    char* end = nullptr;
    errno = 0;
    long long value = std::strtoll(s.c_str(), &end, 0);
    if (errno || *end || end == s.c_str()) return std::nullopt;
    return value;
}

std::optional<uint64_t> parse_uint(std::string_view text) {
    if (text.empty() || text.front() == '-') return std::nullopt;
    std::string s(text);
    char* end = nullptr;
    errno = 0;
    unsigned long long value = std::strtoull(s.c_str(), &end, 0);
    if (errno || *end || end == s.c_str()) return std::nullopt;
    return value;
}

std::optional<bool> parse_bool(std::string_view text) {
    if (text == "on" || text == "yes" || text == "true" || text == "y") return true;
    if (text == "off" || text == "no" || text == "false" || text == "n") return false;
    return std::nullopt;
}

std::string format_size(uint64_t bytes) {
    static const char* const kPrefixes[] = {"", "Ki", "Mi", "Gi", "Ti", "Pi", "Ei"};
    // Move to the next unit once the value reaches 1000 of the current one,
    // so the number never needs four digits ("0.977 KiB", not "1000 B").
    int exponent = 0;
    std::frexp(static_cast<double>(bytes) / (1000.0 / 1024.0), &exponent);
    int unit = exponent > 0 ? (exponent - 1) / 10 : 0;
    if (unit > 6) unit = 6;
    double value = static_cast<double>(bytes) / static_cast<double>(uint64_t{1} << (unit * 10));
    return fmt::format("{} {}B", fmt::format("{:.3g}", value), kPrefixes[unit]);
}

}  // namespace mimic
