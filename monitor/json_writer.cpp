#include "mimic/monitor/json.h"

#include <fmt/format.h>

#include <cstdint>

namespace mimic::monitor {

namespace {

// Decodes one UTF-8 sequence at text[pos]; returns the code point or -1 for
// malformed input (overlong forms, surrogates, truncated sequences), and the
// number of bytes consumed in `length` either way.
int32_t decode_utf8(const std::string& text, size_t pos, size_t& length) {
    auto byte = static_cast<uint8_t>(text[pos]);
    length = 1;
    if (byte < 0x80) return byte;
    int extra;
    int32_t cp;
    if ((byte & 0xE0) == 0xC0) { extra = 1; cp = byte & 0x1F; }
    else if ((byte & 0xF0) == 0xE0) { extra = 2; cp = byte & 0x0F; }
    else if ((byte & 0xF8) == 0xF0) { extra = 3; cp = byte & 0x07; }
    else return -1;
    for (int i = 1; i <= extra; ++i) {
        if (pos + i >= text.size()) return -1;
        auto next = static_cast<uint8_t>(text[pos + i]);
        if ((next & 0xC0) != 0x80) return -1;
        cp = (cp << 6) | (next & 0x3F);
        length = i + 1;
    }
    static const int32_t kMinimum[] = {0, 0x80, 0x800, 0x10000};
    if (cp < kMinimum[extra] || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return -1;
    return cp;
}

void write_string(std::string& out, const std::string& text) {
    out += '"';
    for (size_t pos = 0; pos < text.size();) {
        size_t length;
        int32_t cp = decode_utf8(text, pos, length);
        pos += length;
        switch (cp) {
            case '"': out += "\\\""; continue;
            case '\\': out += "\\\\"; continue;
            case '\b': out += "\\b"; continue;
            case '\f': out += "\\f"; continue;
            case '\n': out += "\\n"; continue;
            case '\r': out += "\\r"; continue;
            case '\t': out += "\\t"; continue;
            default: break;
        }
        if (cp < 0) cp = 0xFFFD;
        if (cp >= 0x20 && cp < 0x7F) {
            out += static_cast<char>(cp);
        } else if (cp > 0xFFFF) {
            cp -= 0x10000;
            out += fmt::format("\\u{:04X}\\u{:04X}", 0xD800 + (cp >> 10), 0xDC00 + (cp & 0x3FF));
        } else {
            out += fmt::format("\\u{:04X}", cp);
        }
    }
    out += '"';
}

void newline(std::string& out, int depth) {
    out += '\n';
    out.append(4 * depth, ' ');
}

void write_value(std::string& out, const Json& value, bool pretty, int depth) {
    switch (value.type()) {
        case Json::value_t::null: out += "null"; return;
        case Json::value_t::boolean: out += value.get<bool>() ? "true" : "false"; return;
        case Json::value_t::number_integer: out += fmt::format("{}", value.get<int64_t>()); return;
        case Json::value_t::number_unsigned: out += fmt::format("{}", value.get<uint64_t>()); return;
        case Json::value_t::number_float: out += fmt::format("{:.17g}", value.get<double>()); return;
        case Json::value_t::string: write_string(out, value.get_ref<const std::string&>()); return;
        case Json::value_t::object:
        case Json::value_t::array: {
            bool object = value.is_object();
            out += object ? '{' : '[';
            bool first = true;
            for (auto it = value.begin(); it != value.end(); ++it) {
                if (!first) out += pretty ? "," : ", ";
                // QEMU's writer puts every member on its own line when pretty,
                // and separates them by a single space otherwise.
                if (pretty) newline(out, depth + 1);
                first = false;
                if (object) {
                    write_string(out, it.key());
                    out += ": ";
                }
                write_value(out, *it, pretty, depth + 1);
            }
            if (pretty) newline(out, depth);
            out += object ? '}' : ']';
            return;
        }
        case Json::value_t::binary:
        case Json::value_t::discarded: out += "null"; return;
    }
}

}  // namespace

std::string to_qmp_text(const Json& value, bool pretty) {
    std::string out;
    write_value(out, value, pretty, 0);
    return out;
}

Json from_plain(const nlohmann::json& value) {
    if (value.is_object()) {
        Json result = Json::object();
        for (auto it = value.begin(); it != value.end(); ++it) result[it.key()] = from_plain(*it);
        return result;
    }
    if (value.is_array()) {
        Json result = Json::array();
        for (const auto& element : value) result.push_back(from_plain(element));
        return result;
    }
    // Scalars convert through their serialized form, which keeps the exact type.
    return Json::parse(value.dump());
}

}  // namespace mimic::monitor
