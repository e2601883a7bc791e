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

SizeResult parse_size_checked(std::string_view text, uint64_t default_unit) {
    std::string s(text);
    const char* begin = s.c_str();
    char* end = nullptr;

    // The integer part, as strtoull reads it (leading blanks and '+' pass),
    // but a minus sign anywhere in it makes the whole size invalid.
    errno = 0;
    unsigned long long integer = std::strtoull(begin, &end, 10);
    if (end == begin) return {SizeError::kInvalid, 0};
    if (errno == ERANGE) return {SizeError::kOutOfRange, 0};
    if (std::string_view(begin, end - begin).find('-') != std::string_view::npos)
        return {SizeError::kInvalid, 0};

    uint64_t fraction = 0;  // 0.64 fixed point
    if (integer == 0 && (*end == 'x' || *end == 'X')) {
        // Hex: no fraction allowed.
        errno = 0;
        integer = std::strtoull(begin, &end, 16);
        if (errno == ERANGE) return {SizeError::kOutOfRange, 0};
        if (*end == '.') return {SizeError::kInvalid, 0};
    } else if (*end == '.') {
        // "1.k" is 1 KiB; an exponent ("1.5e3k") makes the size invalid.
        char* fraction_end = nullptr;
        errno = 0;
        double value = std::strtod(end, &fraction_end);
        if (fraction_end == end || errno || !std::isfinite(value)) {
            ++end;
        } else {
            if (std::string_view(end, fraction_end - end).find_first_of("eE") != std::string_view::npos)
                return {SizeError::kInvalid, 0};
            // A fraction strtod rounds up to 1.0 ("1.99999999999999999999k")
            // counts as none, as it does in qemu-img on x86-64.
            long double scaled = static_cast<long double>(value) * 18446744073709551616.0L;
            fraction = scaled >= 18446744073709551616.0L ? 0 : static_cast<uint64_t>(scaled);
            end = fraction_end;
        }
    }

    uint64_t unit = default_unit;
    if (*end) {
        int shift = suffix_shift(*end);
        if (shift >= 0) {
            unit = uint64_t{1} << shift;
            ++end;
        }
    }
    if (*end) return {SizeError::kInvalid, 0};
    if (unit == 1) {
        // A fraction of a byte is meaningless.
        if (fraction != 0) return {SizeError::kInvalid, 0};
        return {SizeError::kNone, integer};
    }
    // Exact product, the fraction's share rounded half up.
    unsigned __int128 whole = static_cast<unsigned __int128>(integer) * unit;
    unsigned __int128 part = static_cast<unsigned __int128>(fraction) * unit;
    unsigned __int128 total = whole + (part >> 64) + ((part >> 63) & 1);
    if (total >> 64) return {SizeError::kOutOfRange, 0};
    return {SizeError::kNone, static_cast<uint64_t>(total)};
}

std::optional<uint64_t> parse_size(std::string_view text, uint64_t default_unit) {
    SizeResult result = parse_size_checked(text, default_unit);
    if (result.error != SizeError::kNone) return std::nullopt;
    return result.value;
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
