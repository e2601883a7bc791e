#include "mimic/chardev/options.h"

#include <array>
#include <string_view>
#include <vector>

#include "mimic/util/error.h"
#include "mimic/util/size.h"

namespace mimic::chardev {

namespace {

// Keys that are booleans in some backend: only these take the bare "key"
// and "nokey" legacy forms, so a path such as "nobody.sock" is never
// mistaken for a negated flag.
constexpr std::array<std::string_view, 13> kBoolKeys = {
    "server", "wait", "telnet", "tn3270", "nodelay", "append", "signal",
    "mux", "ipv4", "ipv6", "logappend", "websocket", "delay",
};

bool is_bool_key(std::string_view key) {
    for (auto k : kBoolKeys) {
        if (k == key) return true;
    }
    return false;
}

// Splits at ',' honouring ",," as a literal comma.
std::vector<std::string> split_elements(std::string_view text) {
    std::vector<std::string> out;
    std::string current;
    for (size_t i = 0; i < text.size(); i++) {
        if (text[i] == ',') {
            if (i + 1 < text.size() && text[i + 1] == ',') {
                current += ',';
                i++;
                continue;
            }
            out.push_back(std::move(current));
            current.clear();
            continue;
        }
        current += text[i];
    }
    out.push_back(std::move(current));
    return out;
}

std::string_view invert(std::string_view value) {
    std::optional<bool> b = parse_bool(value);
    return b && !*b ? "on" : "off";
}

}  // namespace

ChardevOptions parse_chardev_string(std::string_view text) {
    ChardevOptions options;
    bool first = true;
    for (std::string& element : split_elements(text)) {
        size_t eq = element.find('=');
        if (eq == std::string::npos) {
            if (first) {
                options["backend"] = element;
            } else if (element.empty()) {
                // "a,,b" already folded; an empty element is a trailing comma.
            } else {
                options[element] = "";  // normalised below
            }
        } else {
            options[element.substr(0, eq)] = element.substr(eq + 1);
        }
        first = false;
    }
    return normalize_options(options);
}

ChardevOptions normalize_options(const ChardevOptions& options) {
    ChardevOptions out;
    for (const auto& [key, value] : options) {
        if (is_bool_key(key)) {
            out[key] = value.empty() ? "on" : value;
        } else if (key.starts_with("no") && is_bool_key(key.substr(2))) {
            // "nowait" means wait=off; "nowait=off" (odd but legal) means on.
            out[key.substr(2)] = std::string(value.empty() ? "off" : invert(value));
        } else {
            out[key] = value;
        }
    }
    return out;
}

std::optional<std::string> opt_string(const ChardevOptions& options, const std::string& key) {
    auto it = options.find(key);
    if (it == options.end()) return std::nullopt;
    return it->second;
}

std::optional<bool> opt_bool(const ChardevOptions& options, const std::string& key) {
    auto it = options.find(key);
    if (it == options.end()) return std::nullopt;
    if (it->second.empty()) return true;
    std::optional<bool> value = parse_bool(it->second);
    if (!value) throw Error("Parameter '{}' expects 'on' or 'off'", key);
    return value;
}

std::optional<uint64_t> opt_number(const ChardevOptions& options, const std::string& key) {
    auto it = options.find(key);
    if (it == options.end()) return std::nullopt;
    std::optional<uint64_t> value = parse_uint(it->second);
    if (!value) throw Error("Parameter '{}' expects a number", key);
    return value;
}

std::string options_to_string(const ChardevOptions& options) {
    auto escape = [](const std::string& s) {
        std::string out;
        for (char c : s) {
            out += c;
            if (c == ',') out += ',';
        }
        return out;
    };
    std::string text;
    if (auto it = options.find("backend"); it != options.end()) text = escape(it->second);
    for (const auto& [key, value] : options) {
        if (key == "backend") continue;
        if (!text.empty()) text += ',';
        text += key + "=" + escape(value);
    }
    return text;
}

}  // namespace mimic::chardev
