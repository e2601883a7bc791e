// The PCI device/function property ("addr=1f.3", "addr=3"), stored as a
// devfn (slot << 3 | function) in an int32_t, -1 meaning "pick one".
#include <nlohmann/json.hpp>

#include <fmt/format.h>

#include "property_errors.h"

namespace mimic::qom {
namespace {

// Hex digits, as QEMU reads slot and function (strtoul base 16, so an
// optional 0x prefix: addr=0x1f).
std::optional<unsigned> parse_hex(std::string_view text) {
    if (text.size() > 2 && text[0] == '0' && (text[1] == 'x' || text[1] == 'X')) text.remove_prefix(2);
    if (text.empty() || text.size() > 8) return std::nullopt;
    unsigned value = 0;
    for (char c : text) {
        int d = (c >= '0' && c <= '9') ? c - '0'
              : (c >= 'a' && c <= 'f') ? c - 'a' + 10
              : (c >= 'A' && c <= 'F') ? c - 'A' + 10 : -1;
        if (d < 0) return std::nullopt;
        value = value * 16 + static_cast<unsigned>(d);
    }
    return value;
}

// "SLOT" or "SLOT.FN" in hex; slot 0-1f, function 0-7.
std::optional<int32_t> parse_devfn(std::string_view text) {
    size_t dot = text.find('.');
    std::optional<unsigned> slot = parse_hex(text.substr(0, dot));
    std::optional<unsigned> fn = dot == std::string_view::npos ? 0u : parse_hex(text.substr(dot + 1));
    if (!slot || !fn || *slot > 31 || *fn > 7) return std::nullopt;
    return static_cast<int32_t>(*slot << 3 | *fn);
}

class PciDevfnType final : public PropertyType {
public:
    std::string_view name() const override { return "int32"; }
    std::string description() const override {
        return "Slot and optional function number, example: 06.0 or 06";
    }

    void parse(const PropertySlot& slot, std::string_view text) const override {
        std::optional<int32_t> devfn = parse_devfn(text);
        if (!devfn) throw bad_value(slot, text);
        field(slot) = *devfn;
    }
    // A string as on the command line, or the devfn number (-1 to 255).
    void set(const PropertySlot& slot, const nlohmann::json& value) const override {
        if (value.is_string()) {
            parse(slot, value.get<std::string>());
            return;
        }
        if (!value.is_number_integer()) throw wrong_type(slot, "integer");
        if (value.is_number_unsigned() ? value.get<uint64_t>() > 255
                                       : (value.get<int64_t>() < -1 || value.get<int64_t>() > 255)) {
            throw expects(slot, "a value between -1 and 255");
        }
        field(slot) = value.get<int32_t>();
    }
    nlohmann::json get(const PropertySlot& slot) const override { return field(slot); }
    // "03.0", or "<unset>" before the bus assigned one.
    std::string print(const PropertySlot& slot) const override {
        int32_t devfn = field(slot);
        if (devfn < 0) return "<unset>";
        return fmt::format("{:02x}.{:x}", devfn >> 3, devfn & 7);
    }
    void set_default(const PropertySlot& slot, const DefaultValue& value) const override {
        field(slot) = std::holds_alternative<int64_t>(value)
                          ? static_cast<int32_t>(std::get<int64_t>(value)) : -1;
    }

private:
    static int32_t& field(const PropertySlot& slot) { return *static_cast<int32_t*>(slot.field); }
};

}  // namespace

std::shared_ptr<const PropertyType> pci_devfn_type() {
    static const auto type = std::make_shared<PciDevfnType>();
    return type;
}

}  // namespace mimic::qom
