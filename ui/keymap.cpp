// Keymap files: parsing and lookup.
#include "mimic/ui/keymap.h"

#include <cctype>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string_view>

#include "mimic/util/error.h"

namespace mimic::ui {
namespace {

struct KeysymName {
    std::string_view name;
    uint32_t value;
};

constexpr KeysymName kKeysymNames[] = {
#include "keysym_names.inc"
};

// Includes nest only a few levels in QEMU's files; a loop must not hang us.
constexpr int kMaxIncludeDepth = 8;

bool parse_hex(std::string_view text, uint32_t& value) {
    if (text.empty() || text.size() > 8) return false;
    value = 0;
    for (char c : text) {
        if (!std::isxdigit(static_cast<unsigned char>(c))) return false;
        value = value * 16 + static_cast<uint32_t>(std::isdigit(static_cast<unsigned char>(c))
                                                       ? c - '0'
                                                       : std::tolower(static_cast<unsigned char>(c)) - 'a' + 10);
    }
    return true;
}

std::string read_file(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in) throw Error("cannot open {}", path);
    std::ostringstream text;
    text << in.rdbuf();
    return text.str();
}

}  // namespace

uint32_t keysym_from_name(const std::string& name) {
    uint32_t value;
    if (name.size() > 2 && name[0] == '0' && (name[1] == 'x' || name[1] == 'X') &&
        parse_hex(std::string_view(name).substr(2), value))
        return value;
    // "U20AC": a Unicode character; Latin-1 ones are their own keysyms.
    if (name.size() >= 5 && name[0] == 'U' && parse_hex(std::string_view(name).substr(1), value))
        return value < 0x100 ? value : 0x01000000 | value;
    for (const KeysymName& entry : kKeysymNames) {
        if (entry.name == name) return entry.value;
    }
    return 0;
}

Keymap Keymap::parse(const std::string& text, const std::function<std::string(const std::string&)>& open_include) {
    Keymap keymap;
    keymap.parse_into(text, open_include, 0);
    return keymap;
}

void Keymap::parse_into(const std::string& text,
                        const std::function<std::string(const std::string&)>& open_include, int depth) {
    std::istringstream lines(text);
    std::string line;
    while (std::getline(lines, line)) {
        std::istringstream words(line);
        std::string first;
        if (!(words >> first) || first[0] == '#') continue;
        if (first == "map") continue;
        if (first == "include") {
            std::string file;
            if (!(words >> file)) continue;
            if (depth >= kMaxIncludeDepth) throw Error("keymap includes nest too deep at '{}'", file);
            parse_into(open_include(file), open_include, depth + 1);
            continue;
        }
        std::string number_text;
        if (!(words >> number_text)) continue;
        char* end = nullptr;
        unsigned long number = std::strtoul(number_text.c_str(), &end, 0);
        if (*end != '\0' || number > 0xff) continue;
        Key key{static_cast<unsigned>(number)};
        bool add_upper = false, inhibit = false;
        std::string modifier;
        while (words >> modifier) {
            if (modifier == "shift") key.shift = true;
            else if (modifier == "altgr") key.altgr = true;
            else if (modifier == "ctrl") key.ctrl = true;
            else if (modifier == "numlock") key.numlock = true;
            else if (modifier == "addupper") add_upper = true;
            else if (modifier == "inhibit") inhibit = true;
            // localstate and anything newer change nothing for us.
        }
        if (inhibit) continue;
        uint32_t keysym = keysym_from_name(first);
        if (!keysym) continue;  // a name we cannot know: QEMU skips it too
        keys_[keysym].push_back(key);
        if (add_upper) {
            std::string upper = first;
            for (char& c : upper) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
            if (uint32_t upper_sym = keysym_from_name(upper)) {
                Key shifted = key;
                shifted.shift = true;
                keys_[upper_sym].push_back(shifted);
            }
        }
    }
}

Keymap Keymap::load(const std::string& name, const std::vector<std::string>& data_dirs) {
    for (const std::string& dir : data_dirs) {
        std::string keymap_dir = dir + "/keymaps";
        std::ifstream probe(keymap_dir + "/" + name);
        if (!probe || name.find('/') != std::string::npos) continue;
        try {
            return parse(read_file(keymap_dir + "/" + name),
                         [&](const std::string& file) { return read_file(keymap_dir + "/" + file); });
        } catch (const Error&) {
            break;
        }
    }
    throw Error("could not read keymap file: '{}'", name);
}

const std::vector<Keymap::Key>* Keymap::keys(uint32_t keysym) const {
    auto it = keys_.find(keysym);
    return it == keys_.end() ? nullptr : &it->second;
}

QKeyCode Keymap::lookup(uint32_t keysym, bool shift, bool altgr) const {
    const std::vector<Key>* candidates = keys(keysym);
    if (!candidates || candidates->empty()) return kQKeyUnmapped;
    for (const Key& key : *candidates) {
        if (key.shift == shift && key.altgr == altgr) return qcode_from_number(key.number);
    }
    return qcode_from_number(candidates->front().number);
}

}  // namespace mimic::ui
