#include "qjson.h"

#include <algorithm>
#include <cstring>
#include <vector>

namespace mimic::img {
namespace {

// QEMU's QDict bucket for a key (the tdb hash, modulo 512 buckets).
unsigned bucket(const std::string& key) {
    uint32_t value = 0x238F13AFu * static_cast<uint32_t>(key.size());
    for (size_t i = 0; i < key.size(); ++i)
        value += static_cast<uint32_t>(static_cast<unsigned char>(key[i])) << (i * 5 % 24);
    return (1103515243u * value + 12345u) % 512;
}

void emit(const nlohmann::json& v, int level, std::string& out) {
    std::string pad(4 * (level + 1), ' ');
    std::string close_pad(4 * level, ' ');
    if (v.is_object()) {
        std::vector<std::string> keys;
        for (auto it = v.begin(); it != v.end(); ++it) keys.push_back(it.key());
        std::stable_sort(keys.begin(), keys.end(),
                         [](const std::string& a, const std::string& b) { return bucket(a) < bucket(b); });
        out += "{";
        for (size_t i = 0; i < keys.size(); ++i) {
            out += i ? ",\n" : "\n";
            out += pad + nlohmann::json(keys[i]).dump(-1, ' ', true) + ": ";
            emit(v.at(keys[i]), level + 1, out);
        }
        out += "\n" + close_pad + "}";   // QEMU breaks the line even when empty
    } else if (v.is_array()) {
        out += "[";
        for (size_t i = 0; i < v.size(); ++i) {
            out += i ? ",\n" : "\n";
            out += pad;
            emit(v[i], level + 1, out);
        }
        out += "\n" + close_pad + "]";
    } else {
        out += v.dump(-1, ' ', true);
    }
}

}  // namespace

std::string qemu_json_pretty(const nlohmann::json& value) {
    std::string out;
    emit(value, 0, out);
    return out;
}

}  // namespace mimic::img
