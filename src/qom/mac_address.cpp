// MacAddress and the MAC property type ("mac=52:54:00:12:34:56").
#include "mimic/qom/mac_address.h"

#include <nlohmann/json.hpp>

#include <fmt/format.h>

#include "property_errors.h"

namespace mimic::qom {

bool MacAddress::is_zero() const {
    for (uint8_t b : bytes) {
        if (b) return false;
    }
    return true;
}

std::string MacAddress::to_string() const {
    return fmt::format("{:02x}:{:02x}:{:02x}:{:02x}:{:02x}:{:02x}", bytes[0], bytes[1], bytes[2],
                       bytes[3], bytes[4], bytes[5]);
}

namespace {

int hex_digit(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

}  // namespace

std::optional<MacAddress> MacAddress::parse(std::string_view text) {
    // Exactly "xx:xx:xx:xx:xx:xx" (':' or '-'), as QEMU accepts.
    if (text.size() != 17) return std::nullopt;
    MacAddress mac;
    for (size_t i = 0; i < 6; ++i) {
        size_t pos = i * 3;
        int hi = hex_digit(text[pos]);
        int lo = hex_digit(text[pos + 1]);
        if (hi < 0 || lo < 0) return std::nullopt;
        if (i < 5 && text[pos + 2] != ':' && text[pos + 2] != '-') return std::nullopt;
        mac.bytes[i] = static_cast<uint8_t>(hi << 4 | lo);
    }
    return mac;
}

namespace {

class MacType final : public PropertyType {
public:
    std::string_view name() const override { return "str"; }
    std::string description() const override {
        return "Ethernet 6-byte MAC Address, example: 52:54:00:12:34:56";
    }

    void parse(const PropertySlot& slot, std::string_view text) const override {
        std::optional<MacAddress> mac = MacAddress::parse(text);
        if (!mac) throw bad_value(slot, text);
        field(slot) = *mac;
    }
    void set(const PropertySlot& slot, const nlohmann::json& value) const override {
        if (!value.is_string()) throw wrong_type(slot, "string");
        parse(slot, value.get<std::string>());
    }
    nlohmann::json get(const PropertySlot& slot) const override { return field(slot).to_string(); }
    std::string print(const PropertySlot& slot) const override {
        return "\"" + field(slot).to_string() + "\"";
    }
    void set_default(const PropertySlot& slot, const DefaultValue&) const override {
        field(slot) = MacAddress{};
    }

private:
    static MacAddress& field(const PropertySlot& slot) {
        return *static_cast<MacAddress*>(slot.field);
    }
};

}  // namespace

std::shared_ptr<const PropertyType> mac_type() {
    static const auto type = std::make_shared<MacType>();
    return type;
}

}  // namespace mimic::qom
