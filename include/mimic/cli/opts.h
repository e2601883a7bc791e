// QemuOpts-style option strings: "value,key=value,flag,nokey,key=a,,b".
//
// One command-line option's argument parses into an Opts: an ordered list of
// key/value pairs plus an optional id. The rules follow QEMU's:
//  - pairs are separated by ',' and ",," stands for a literal comma;
//  - when the first element has no '=' and the option has an implied key
//    (-m size, -smp cpus, -drive none, -device driver, -netdev type ...),
//    that element is the implied key's value;
//  - any later element without '=' is a boolean: "key" means key=on and
//    "nokey" means key=off;
//  - "id=X" names the instance;
//  - "help" or "?" as a value or a bare key asks for help.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace mimic::cli {

struct KeyValue {
    std::string key;
    std::string value;
};

class Opts {
public:
    Opts() = default;
    Opts(std::string id, std::vector<KeyValue> entries)
        : id_(std::move(id)), entries_(std::move(entries)) {}

    const std::string& id() const { return id_; }
    const std::vector<KeyValue>& entries() const { return entries_; }

    bool has(std::string_view key) const { return find(key) != nullptr; }
    // The last value given for `key` (later settings override earlier ones).
    std::optional<std::string> get(std::string_view key) const;
    std::string get_or(std::string_view key, std::string_view fallback) const;

    // Typed getters; each throws mimic::Error with QEMU's wording when the
    // value does not parse ("Parameter 'x' expects 'on' or 'off'").
    std::optional<bool> get_bool(std::string_view key) const;
    std::optional<uint64_t> get_number(std::string_view key) const;
    std::optional<uint64_t> get_size(std::string_view key, uint64_t default_unit = 1) const;

    void set(std::string_view key, std::string_view value);
    void remove(std::string_view key);
    // Adds every entry of `other` after ours (merged options: -m, -smp, -boot).
    void merge(const Opts& other);

    // True if the user asked for help ("-device help", "-device e1000,help").
    bool wants_help() const;

    // Rebuilds a canonical option string (commas escaped) for messages.
    std::string to_string() const;

private:
    const KeyValue* find(std::string_view key) const;

    std::string id_;
    std::vector<KeyValue> entries_;
};

// Parses `text`; `implied_key` may be empty. Throws mimic::Error.
Opts parse_opts(std::string_view text, std::string_view implied_key = {});

// Parses `text` with QEMU's keyval grammar (-machine): every element is
// key=value except that the first may be the implied key's bare value, which
// ends at the first ',' or '='; only later values take ",," for a comma.
// A bare "help" or "?" asks for help. Throws mimic::Error with QEMU's
// wording ("Invalid parameter ''", "Expected '=' after parameter 'x'").
Opts parse_keyval(std::string_view text, std::string_view implied_key);

enum class OptType { kString, kBool, kNumber, kSize };

struct OptDesc {
    const char* name;
    OptType type;
    const char* help;
};

// Checks every key against `descs` and every value against its type.
// Throws mimic::Error: "Invalid parameter 'x'", "Parameter 'x' expects ...".
void validate(const Opts& opts, std::span<const OptDesc> descs);

// Splits "a,b,,c" at unescaped commas into {"a", "b,c"}.
std::vector<std::string> split_escaped(std::string_view text);

// Escapes commas so the value survives a round trip through parse_opts.
std::string escape_commas(std::string_view text);

}  // namespace mimic::cli
