#include "mimic/cli/opts.h"

#include <cctype>

#include "mimic/util/error.h"
#include "mimic/util/size.h"

namespace mimic::cli {

std::vector<std::string> split_escaped(std::string_view text) {
    std::vector<std::string> parts;
    std::string current;
    for (size_t i = 0; i < text.size(); ++i) {
        if (text[i] == ',') {
            if (i + 1 < text.size() && text[i + 1] == ',') {
                current += ',';
                ++i;
                continue;
            }
            parts.push_back(std::move(current));
            current.clear();
            continue;
        }
        current += text[i];
    }
    parts.push_back(std::move(current));
    return parts;
}

std::string escape_commas(std::string_view text) {
    std::string out;
    for (char c : text) {
        out += c;
        if (c == ',') out += ',';
    }
    return out;
}

Opts parse_opts(std::string_view text, std::string_view implied_key) {
    std::string id;
    std::vector<KeyValue> entries;
    std::vector<std::string> parts = split_escaped(text);
    for (size_t i = 0; i < parts.size(); ++i) {
        const std::string& part = parts[i];
        size_t eq = part.find('=');
        std::string key;
        std::string value;
        if (eq == std::string::npos) {
            if (i == 0 && !implied_key.empty()) {
                key = implied_key;
                value = part;
            } else if (part.empty()) {
                // A trailing or doubled separator ("a=1,") carries nothing.
                continue;
            } else if (part == "help" || part == "?") {
                key = "help";
                value = "on";
            } else if (part.starts_with("no") && part.size() > 2) {
                key = part.substr(2);
                value = "off";
            } else {
                key = part;
                value = "on";
            }
        } else {
            key = part.substr(0, eq);
            value = part.substr(eq + 1);
            if (key.empty()) throw Error("Invalid parameter ''");
        }
        if (key == "id") {
            if (value.empty()) throw Error("Parameter 'id' expects an identifier");
            id = value;
            continue;
        }
        entries.push_back({std::move(key), std::move(value)});
    }
    if (!id.empty()) {
        // QEMU: identifiers start with a letter and hold letters, digits, '-', '.', '_'.
        bool valid = std::isalpha(static_cast<unsigned char>(id[0]));
        for (char c : id) {
            if (!std::isalnum(static_cast<unsigned char>(c)) && c != '-' && c != '.' && c != '_')
                valid = false;
        }
        if (!valid) throw Error("Parameter 'id' expects an identifier");
    }
    return Opts(std::move(id), std::move(entries));
}

namespace {

// QEMU's key fragments: letters, digits and "-_." (dots separate levels).
bool is_key_char(char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_' || c == '.';
}

}  // namespace

Opts parse_keyval(std::string_view text, std::string_view implied_key) {
    std::vector<KeyValue> entries;
    size_t pos = 0;
    bool first = true;
    while (pos < text.size()) {
        std::string_view rest = text.substr(pos);
        size_t key_length = rest.find_first_of("=,");
        if (key_length == std::string_view::npos) key_length = rest.size();
        std::string_view key = rest.substr(0, key_length);
        bool bare = key_length == rest.size() || rest[key_length] == ',';
        if (first && !implied_key.empty() && !key.empty() && bare) {
            entries.push_back({std::string(implied_key), std::string(key)});
        } else if (bare && (key == "help" || key == "?")) {
            entries.push_back({"help", "on"});
        } else {
            size_t valid = 0;
            while (valid < key.size() && is_key_char(key[valid])) ++valid;
            if (key.empty() || valid < key.size()) throw Error("Invalid parameter '{}'", key);
            if (bare) throw Error("Expected '=' after parameter '{}'", key);
            std::string value;
            size_t i = key_length + 1;
            for (; i < rest.size(); ++i) {
                if (rest[i] == ',') {
                    if (i + 1 < rest.size() && rest[i + 1] == ',') {
                        value += ',';
                        ++i;
                        continue;
                    }
                    break;
                }
                value += rest[i];
            }
            entries.push_back({std::string(key), std::move(value)});
            key_length = i;
        }
        first = false;
        pos += key_length;
        if (pos < text.size()) ++pos;  // the separating comma
    }
    return Opts({}, std::move(entries));
}

const KeyValue* Opts::find(std::string_view key) const {
    for (auto it = entries_.rbegin(); it != entries_.rend(); ++it) {
        if (it->key == key) return &*it;
    }
    return nullptr;
}

std::optional<std::string> Opts::get(std::string_view key) const {
    const KeyValue* entry = find(key);
    if (!entry) return std::nullopt;
    return entry->value;
}

std::string Opts::get_or(std::string_view key, std::string_view fallback) const {
    const KeyValue* entry = find(key);
    return entry ? entry->value : std::string(fallback);
}

std::optional<bool> Opts::get_bool(std::string_view key) const {
    const KeyValue* entry = find(key);
    if (!entry) return std::nullopt;
    if (auto value = parse_bool(entry->value)) return value;
    throw Error("Parameter '{}' expects 'on' or 'off'", key);
}

std::optional<uint64_t> Opts::get_number(std::string_view key) const {
    const KeyValue* entry = find(key);
    if (!entry) return std::nullopt;
    if (auto value = parse_uint(entry->value)) return value;
    throw Error("Parameter '{}' expects a number", key);
}

std::optional<uint64_t> Opts::get_size(std::string_view key, uint64_t default_unit) const {
    const KeyValue* entry = find(key);
    if (!entry) return std::nullopt;
    if (auto value = parse_size(entry->value, default_unit)) return value;
    throw Error("Parameter '{}' expects a non-negative number below 2^64", key);
}

void Opts::set(std::string_view key, std::string_view value) {
    entries_.push_back({std::string(key), std::string(value)});
}

void Opts::remove(std::string_view key) {
    std::erase_if(entries_, [&](const KeyValue& entry) { return entry.key == key; });
}

void Opts::merge(const Opts& other) {
    entries_.insert(entries_.end(), other.entries_.begin(), other.entries_.end());
    if (!other.id_.empty()) id_ = other.id_;
}

bool Opts::wants_help() const {
    for (const KeyValue& entry : entries_) {
        if (entry.key == "help" || entry.key == "?" || entry.value == "help" || entry.value == "?")
            return true;
    }
    return false;
}

std::string Opts::to_string() const {
    std::string out;
    for (const KeyValue& entry : entries_) {
        if (!out.empty()) out += ',';
        out += escape_commas(entry.key) + "=" + escape_commas(entry.value);
    }
    if (!id_.empty()) out += (out.empty() ? "id=" : ",id=") + escape_commas(id_);
    return out;
}

void validate(const Opts& opts, std::span<const OptDesc> descs) {
    for (const KeyValue& entry : opts.entries()) {
        const OptDesc* desc = nullptr;
        for (const OptDesc& d : descs) {
            if (entry.key == d.name) desc = &d;
        }
        if (!desc) throw Error("Invalid parameter '{}'", entry.key);
        switch (desc->type) {
            case OptType::kString:
                break;
            case OptType::kBool:
                if (!parse_bool(entry.value))
                    throw Error("Parameter '{}' expects 'on' or 'off'", entry.key);
                break;
            case OptType::kNumber:
                if (!parse_uint(entry.value))
                    throw Error("Parameter '{}' expects a number", entry.key);
                break;
            case OptType::kSize:
                if (!parse_size(entry.value))
                    throw Error("Parameter '{}' expects a non-negative number below 2^64",
                                entry.key);
                break;
        }
    }
}

}  // namespace mimic::cli
