#include <cerrno>
#include <cstdlib>
#include <string>
#include <utility>

#include "mimic/util/error.h"
#include "mimic/util/log.h"

namespace mimic::log {
namespace {

std::vector<AddressRange> g_filter;

// The whole of `text` as an unsigned number in C syntax (0x.., 0.., decimal).
bool parse_number(std::string_view text, uint64_t& value) {
    if (text.empty() || text.find_first_of("-+") != std::string_view::npos) return false;
    std::string owned(text);
    char* end = nullptr;
    errno = 0;
    unsigned long long parsed = std::strtoull(owned.c_str(), &end, 0);
    if (errno != 0 || end != owned.c_str() + owned.size()) return false;
    value = parsed;
    return true;
}

AddressRange parse_range(std::string_view text) {
    // The operators are looked for in this order, as QEMU does: "0x10+-1"
    // splits at its '-'.
    std::string_view op;
    size_t at = std::string_view::npos;
    for (std::string_view candidate : {"-", "+", ".."}) {
        at = text.find(candidate);
        if (at != std::string_view::npos) {
            op = candidate;
            break;
        }
    }
    if (op.empty()) throw Error("Bad range specifier");
    uint64_t left = 0, right = 0;
    if (!parse_number(text.substr(0, at), left)) throw Error("Invalid number to the left of {}", op);
    if (!parse_number(text.substr(at + op.size()), right)) throw Error("Invalid number to the right of {}", op);
    AddressRange range{};
    if (op == "..") {
        range = {left, right};
    } else {
        if (right == 0) throw Error("Invalid range");
        range = op == "+" ? AddressRange{left, left + (right - 1)} : AddressRange{left - (right - 1), left};
    }
    if (range.first > range.last) throw Error("Invalid range");
    return range;
}

}  // namespace

std::vector<AddressRange> parse_address_ranges(std::string_view list) {
    std::vector<AddressRange> ranges;
    if (list.empty()) return ranges;
    while (true) {
        size_t comma = list.find(',');
        ranges.push_back(parse_range(list.substr(0, comma)));
        if (comma == std::string_view::npos) return ranges;
        list.remove_prefix(comma + 1);
    }
}

void set_address_filter(std::vector<AddressRange> ranges) { g_filter = std::move(ranges); }

bool in_address_filter(uint64_t address) {
    if (g_filter.empty()) return true;
    for (const AddressRange& range : g_filter) {
        if (address >= range.first && address <= range.last) return true;
    }
    return false;
}

}  // namespace mimic::log
