// The scalar property types: bool, integers, size, string, enum.
//
// Command-line text follows QEMU's keyval rules (-device): integers in
// decimal, 0x hex or 0 octal; bool on/off (yes/no/true/false are accepted
// too, as mimic::parse_bool does); sizes with K/M/G/... suffixes. Typed
// (JSON) values follow qom-set: the JSON kind must match.
#include <fmt/ranges.h>
#include <nlohmann/json.hpp>

#include <cstring>
#include <limits>

#include "mimic/util/size.h"
#include "property_errors.h"

namespace mimic::qom {
namespace {

using Json = nlohmann::json;

// A non-negative JSON integer, however nlohmann stored it.
std::optional<uint64_t> json_unsigned(const Json& value) {
    if (value.is_number_unsigned()) return value.get<uint64_t>();
    if (value.is_number_integer() && value.get<int64_t>() >= 0) return value.get<uint64_t>();
    return std::nullopt;
}

// ---------------------------------------------------------------- bool

class BoolType final : public PropertyType {
public:
    std::string_view name() const override { return "bool"; }
    std::string description() const override { return "on/off"; }

    void parse(const PropertySlot& slot, std::string_view text) const override {
        std::optional<bool> value = parse_bool(text);
        if (!value) throw expects(slot, "'on' or 'off'");
        field(slot) = *value;
    }
    void set(const PropertySlot& slot, const Json& value) const override {
        if (!value.is_boolean()) throw wrong_type(slot, "boolean");
        field(slot) = value.get<bool>();
    }
    Json get(const PropertySlot& slot) const override { return field(slot); }
    std::string print(const PropertySlot& slot) const override {
        return field(slot) ? "true" : "false";
    }
    void set_default(const PropertySlot& slot, const DefaultValue& value) const override {
        field(slot) = std::holds_alternative<bool>(value) && std::get<bool>(value);
    }

private:
    static bool& field(const PropertySlot& slot) { return *static_cast<bool*>(slot.field); }
};

// ---------------------------------------------------------------- integers

// One class for all widths and signedness; the value passes through int64_t
// or uint64_t and is stored at the field's exact width.
class IntType final : public PropertyType {
public:
    // `qom_name`: the type's name when QEMU declares it as a plain QOM
    // property ("int") rather than a qdev one ("int64").
    IntType(bool is_signed, int bits, std::string qom_name = {}) : signed_(is_signed), bits_(bits) {
        if (signed_) {
            smin_ = bits == 64 ? std::numeric_limits<int64_t>::min() : -(int64_t{1} << (bits - 1));
            smax_ = bits == 64 ? std::numeric_limits<int64_t>::max() : (int64_t{1} << (bits - 1)) - 1;
        } else {
            umax_ = bits == 64 ? std::numeric_limits<uint64_t>::max() : (uint64_t{1} << bits) - 1;
        }
        name_ = qom_name.empty() ? (signed_ ? "int" : "uint") + std::to_string(bits) : std::move(qom_name);
    }

    // A copy limited to [min, max], reported with the "doesn't take value" text.
    std::shared_ptr<const PropertyType> with_range(int64_t min, int64_t max) const {
        auto t = std::make_shared<IntType>(*this);
        t->ranged_ = true;
        t->rmin_ = min;
        t->rmax_ = max;
        return t;
    }

    std::string_view name() const override { return name_; }

    void parse(const PropertySlot& slot, std::string_view text) const override {
        if (signed_) {
            std::optional<int64_t> v = parse_int(text);
            if (!v) throw expects(slot, "integer");
            store_signed(slot, *v);
        } else {
            std::optional<uint64_t> v = parse_uint(text);
            if (!v) throw expects(slot, "integer");
            store_unsigned(slot, *v);
        }
    }

    void set(const PropertySlot& slot, const Json& value) const override {
        if (signed_) {
            if (value.is_number_integer() &&
                (!value.is_number_unsigned() ||
                 value.get<uint64_t>() <= uint64_t(std::numeric_limits<int64_t>::max()))) {
                store_signed(slot, value.get<int64_t>());
                return;
            }
            throw wrong_type(slot, "integer");
        }
        std::optional<uint64_t> v = json_unsigned(value);
        if (!v) throw expects(slot, "uint64");
        store_unsigned(slot, *v);
    }

    Json get(const PropertySlot& slot) const override {
        if (signed_) return load_signed(slot);
        return load_unsigned(slot);
    }

    // "1 (0x1)"; negative values show their 64-bit two's complement, as QEMU.
    std::string print(const PropertySlot& slot) const override {
        if (signed_) {
            int64_t v = load_signed(slot);
            return fmt::format("{} (0x{:x})", v, static_cast<uint64_t>(v));
        }
        uint64_t v = load_unsigned(slot);
        return fmt::format("{} (0x{:x})", v, v);
    }

    void set_default(const PropertySlot& slot, const DefaultValue& value) const override {
        if (signed_) {
            write(slot, std::holds_alternative<int64_t>(value) ? uint64_t(std::get<int64_t>(value)) : 0);
        } else {
            write(slot, std::holds_alternative<uint64_t>(value) ? std::get<uint64_t>(value) : 0);
        }
    }

private:
    std::string c_type_name() const { return (signed_ ? "int" : "uint") + std::to_string(bits_) + "_t"; }

    void store_signed(const PropertySlot& slot, int64_t v) const {
        if (ranged_ && (v < rmin_ || v > rmax_)) throw out_of_range(slot, v);
        if (v < smin_ || v > smax_) throw expects(slot, c_type_name());
        write(slot, static_cast<uint64_t>(v));
    }

    void store_unsigned(const PropertySlot& slot, uint64_t v) const {
        if (ranged_ && (rmax_ < 0 || v > uint64_t(rmax_) || (rmin_ > 0 && v < uint64_t(rmin_)))) {
            if (v > uint64_t(std::numeric_limits<int64_t>::max())) throw expects(slot, c_type_name());
            throw out_of_range(slot, static_cast<int64_t>(v));
        }
        if (v > umax_) throw expects(slot, c_type_name());
        write(slot, v);
    }

    Error out_of_range(const PropertySlot& slot, int64_t v) const {
        return Error("Property {}.{} doesn't take value {} (minimum: {}, maximum: {})",
                     slot.object.type_name(), slot.property.name, v, rmin_, rmax_);
    }

    // Two's-complement truncation to the field width.
    void write(const PropertySlot& slot, uint64_t v) const {
        switch (bits_) {
            case 8: { uint8_t x = uint8_t(v); std::memcpy(slot.field, &x, 1); break; }
            case 16: { uint16_t x = uint16_t(v); std::memcpy(slot.field, &x, 2); break; }
            case 32: { uint32_t x = uint32_t(v); std::memcpy(slot.field, &x, 4); break; }
            default: std::memcpy(slot.field, &v, 8); break;
        }
    }

    int64_t load_signed(const PropertySlot& slot) const {
        switch (bits_) {
            case 8: return *static_cast<const int8_t*>(slot.field);
            case 16: return *static_cast<const int16_t*>(slot.field);
            case 32: return *static_cast<const int32_t*>(slot.field);
            default: return *static_cast<const int64_t*>(slot.field);
        }
    }

    uint64_t load_unsigned(const PropertySlot& slot) const {
        switch (bits_) {
            case 8: return *static_cast<const uint8_t*>(slot.field);
            case 16: return *static_cast<const uint16_t*>(slot.field);
            case 32: return *static_cast<const uint32_t*>(slot.field);
            default: return *static_cast<const uint64_t*>(slot.field);
        }
    }

    bool signed_;
    int bits_;
    std::string name_;
    int64_t smin_ = 0, smax_ = 0;
    uint64_t umax_ = 0;
    bool ranged_ = false;
    int64_t rmin_ = 0, rmax_ = 0;
};

// ---------------------------------------------------------------- size

class SizeType final : public PropertyType {
public:
    std::string_view name() const override { return "size"; }

    void parse(const PropertySlot& slot, std::string_view text) const override {
        std::optional<uint64_t> v = parse_size(text);
        if (!v) throw expects(slot, "size");
        field(slot) = *v;
    }
    void set(const PropertySlot& slot, const Json& value) const override {
        std::optional<uint64_t> v = json_unsigned(value);
        if (!v) throw expects(slot, "uint64");
        field(slot) = *v;
    }
    Json get(const PropertySlot& slot) const override { return field(slot); }
    // "65536 (64 KiB)"
    std::string print(const PropertySlot& slot) const override {
        return fmt::format("{} ({})", field(slot), format_size(field(slot)));
    }
    void set_default(const PropertySlot& slot, const DefaultValue& value) const override {
        field(slot) = std::holds_alternative<uint64_t>(value) ? std::get<uint64_t>(value) : 0;
    }

private:
    static uint64_t& field(const PropertySlot& slot) { return *static_cast<uint64_t*>(slot.field); }
};

// ---------------------------------------------------------------- string

class StringType final : public PropertyType {
public:
    explicit StringType(std::string_view name) : name_(name) {}
    std::string_view name() const override { return name_; }

    void parse(const PropertySlot& slot, std::string_view text) const override {
        field(slot) = std::string(text);
    }
    void set(const PropertySlot& slot, const Json& value) const override {
        if (!value.is_string()) throw wrong_type(slot, "string");
        field(slot) = value.get<std::string>();
    }
    Json get(const PropertySlot& slot) const override { return field(slot); }
    std::string print(const PropertySlot& slot) const override {
        return "\"" + field(slot) + "\"";
    }
    void set_default(const PropertySlot& slot, const DefaultValue& value) const override {
        field(slot) = std::holds_alternative<std::string>(value) ? std::get<std::string>(value) : "";
    }

private:
    static std::string& field(const PropertySlot& slot) {
        return *static_cast<std::string*>(slot.field);
    }
    std::string_view name_;
};

// ---------------------------------------------------------------- enum

class EnumType final : public PropertyType {
public:
    EnumType(std::string qapi_name, std::vector<std::string> values, EnumCodec codec)
        : qapi_name_(std::move(qapi_name)), values_(std::move(values)), codec_(std::move(codec)) {}

    std::string_view name() const override { return qapi_name_; }
    // "on/off/auto"
    std::string description() const override { return fmt::format("{}", fmt::join(values_, "/")); }

    void parse(const PropertySlot& slot, std::string_view text) const override {
        for (size_t i = 0; i < values_.size(); ++i) {
            if (values_[i] == text) {
                codec_.store(slot.field, static_cast<int>(i));
                return;
            }
        }
        throw Error("Parameter '{}' does not accept value '{}'", slot.property.name, text);
    }
    void set(const PropertySlot& slot, const Json& value) const override {
        if (!value.is_string()) throw wrong_type(slot, "string");
        parse(slot, value.get<std::string>());
    }
    Json get(const PropertySlot& slot) const override { return current(slot); }
    std::string print(const PropertySlot& slot) const override { return "\"" + current(slot) + "\""; }
    void set_default(const PropertySlot& slot, const DefaultValue& value) const override {
        if (std::holds_alternative<std::string>(value)) {
            parse(slot, std::get<std::string>(value));
        } else {
            codec_.store(slot.field, 0);
        }
    }

private:
    std::string current(const PropertySlot& slot) const {
        int v = codec_.load(slot.field);
        if (v < 0 || static_cast<size_t>(v) >= values_.size()) return std::to_string(v);
        return values_[static_cast<size_t>(v)];
    }

    std::string qapi_name_;
    std::vector<std::string> values_;
    EnumCodec codec_;
};

// JSON text of a declared default, for help.
std::string default_json(const DefaultValue& value) {
    return std::visit(
        [](const auto& v) -> std::string {
            using T = std::decay_t<decltype(v)>;
            if constexpr (std::is_same_v<T, std::monostate>) {
                return {};
            } else {
                return Json(v).dump();
            }
        },
        value);
}

}  // namespace

std::shared_ptr<const PropertyType> bool_type() {
    static const auto type = std::make_shared<BoolType>();
    return type;
}

std::shared_ptr<const PropertyType> int_type(bool is_signed, int bits) {
    // Index: signed * 4 + log2(bits / 8).
    static const std::shared_ptr<const PropertyType> types[8] = {
        std::make_shared<IntType>(false, 8),  std::make_shared<IntType>(false, 16),
        std::make_shared<IntType>(false, 32), std::make_shared<IntType>(false, 64),
        std::make_shared<IntType>(true, 8),   std::make_shared<IntType>(true, 16),
        std::make_shared<IntType>(true, 32),  std::make_shared<IntType>(true, 64),
    };
    int index = bits == 8 ? 0 : bits == 16 ? 1 : bits == 32 ? 2 : 3;
    return types[(is_signed ? 4 : 0) + index];
}

std::shared_ptr<const PropertyType> size_type() {
    static const auto type = std::make_shared<SizeType>();
    return type;
}

std::shared_ptr<const PropertyType> string_type() {
    static const auto type = std::make_shared<StringType>("str");
    return type;
}

std::shared_ptr<const PropertyType> object_string_type() {
    static const auto type = std::make_shared<StringType>("string");
    return type;
}

std::shared_ptr<const PropertyType> object_int_type() {
    static const auto type = std::make_shared<IntType>(true, 64, "int");
    return type;
}

std::shared_ptr<const PropertyType> enum_type(std::string qapi_name, std::vector<std::string> values,
                                              EnumCodec codec) {
    return std::make_shared<EnumType>(std::move(qapi_name), std::move(values), std::move(codec));
}

// ---------------------------------------------------------------- Property

Property Property::range(int64_t min, int64_t max) && {
    auto int_type = std::dynamic_pointer_cast<const IntType>(type);
    if (!int_type) throw std::logic_error("qom: range() on non-integer property " + name);
    type = int_type->with_range(min, max);
    return std::move(*this);
}

Property Property::after_realize() && {
    settable_after_realize = true;
    return std::move(*this);
}

Property Property::plain_qom() && {
    qdev_help = false;
    return std::move(*this);
}

Property Property::without_type_description() && {
    type_description = false;
    return std::move(*this);
}

std::string Property::help_description() const {
    return description.empty() && qdev_help && type_description ? type->description() : description;
}

std::string property_help_line(const Property& property) {
    std::string line = fmt::format("  {}=<{}>", property.name, property.type->name());
    std::string description = property.help_description();
    std::string def = property.qdev_help ? default_json(property.default_value) : std::string();
    if (!description.empty() || !def.empty()) {
        if (line.size() < 24) line.append(24 - line.size(), ' ');
        line += " - ";
    }
    line += description;
    if (!def.empty()) line += " (default: " + def + ")";
    return line;
}

}  // namespace mimic::qom
