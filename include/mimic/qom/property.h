// Typed, class-level properties: declared once per type, stored in plain
// member fields of the object, set from command-line text or typed JSON.
//
// A type lists its properties in its TypeInfo (see type.h), built with the
// helpers in namespace `prop` below, each naming the member that holds the
// value:
//
//     prop::uint32("rombar", &PciDevice::rombar_, 1),
//     prop::mac("mac", &E1000::mac_),
//     prop::netdev("netdev", &E1000::netdev_),
//     prop::uint8("level", &Foo::level_, 0).range(0, 15).after_realize(),
//
// Every object gets its declared defaults when created; -global and the
// user's values are applied over them afterwards (see device_add.h).
//
// Errors follow QEMU's -device (keyval) and qom-set (JSON) wording; see
// property_types.cpp for the exact texts per type.
#pragma once

#include <nlohmann/json_fwd.hpp>

#include <cstdint>
#include <functional>
#include <limits>
#include <memory>
#include <stdexcept>
#include <string>
#include <string_view>
#include <type_traits>
#include <variant>
#include <vector>

#include "mimic/qom/backend_registry.h"
#include "mimic/qom/mac_address.h"

namespace mimic::qom {

class Object;
struct Property;

// A declared default, printed as JSON by -device NAME,help.
// monostate: none (strings empty, MAC zero, links unset).
using DefaultValue = std::variant<std::monostate, bool, int64_t, uint64_t, std::string>;

// One property of one object: where its value lives.
struct PropertySlot {
    const Object& object;
    const Property& property;
    void* field;  // the member the property stores into (read-only for get/print)
};

// How values of one kind are parsed, converted and printed. Implementations
// are in property_types.cpp, mac_address.cpp, pci_devfn.cpp and
// backend_registry.cpp.
class PropertyType {
public:
    virtual ~PropertyType() = default;

    // The type as -device NAME,help shows it: "uint32", "bool", "str", "size"...
    virtual std::string_view name() const = 0;
    // Shown when the property has no description of its own ("on/off").
    virtual std::string description() const { return {}; }

    // From command-line text (-device, -global).
    virtual void parse(const PropertySlot& slot, std::string_view text) const = 0;
    // From a typed value (QMP qom-set, board code).
    virtual void set(const PropertySlot& slot, const nlohmann::json& value) const = 0;
    virtual nlohmann::json get(const PropertySlot& slot) const = 0;
    // The value as `info qtree` prints it (see qtree.h).
    virtual std::string print(const PropertySlot& slot) const = 0;
    // Stores the declared default (monostate included).
    virtual void set_default(const PropertySlot& slot, const DefaultValue& value) const = 0;
};

struct Property {
    std::string name;
    std::string description;  // empty: the type's description
    std::shared_ptr<const PropertyType> type;
    std::function<void*(Object&)> field;
    DefaultValue default_value;
    bool settable_after_realize = false;
    // Help shows the default and the type's description, as for QEMU's
    // qdev properties; plain QOM properties (object_string, object_int,
    // an -object type's enum) publish neither.
    bool qdev_help = true;
    // Help leaves the type's description out (QEMU's bare bool properties:
    // "use-started=<bool> -  (default: true)").
    bool type_description = true;
    // Printed by `info qtree`; a transport's aliases of its child device's
    // properties are listed by help only.
    bool in_qtree = true;

    // Narrows an integer property to [min, max]; values outside are refused
    // with QEMU's "Property T.P doesn't take value V (minimum: .., maximum: ..)".
    Property range(int64_t min, int64_t max) &&;
    // The property may still be written once the device is realized.
    Property after_realize() &&;
    // Help shows no default nor type description (see qdev_help).
    Property plain_qom() &&;
    Property without_type_description() &&;

    // The description -device NAME,help shows: its own, else its type's.
    std::string help_description() const;
};

// ---------------------------------------------------------------------------
// Property kinds. These are the building blocks of the `prop` helpers; device
// code normally uses the helpers.

std::shared_ptr<const PropertyType> bool_type();
// bits: 8/16/32/64. The storage is the exact C++ integer type of that width.
std::shared_ptr<const PropertyType> int_type(bool is_signed, int bits);
std::shared_ptr<const PropertyType> size_type();    // uint64_t, accepts "64K", "1.5G"
std::shared_ptr<const PropertyType> string_type();  // std::string
// The same kinds as QEMU declares them on plain QOM objects (-object types,
// the machine, the CPU's model properties) rather than as qdev properties:
// qom-list and help call them "string" and "int" instead of "str"/"int64".
std::shared_ptr<const PropertyType> object_string_type();  // std::string
std::shared_ptr<const PropertyType> object_int_type();     // int64_t
std::shared_ptr<const PropertyType> mac_type();     // MacAddress
std::shared_ptr<const PropertyType> pci_devfn_type();  // int32_t, -1 = automatic
std::shared_ptr<const PropertyType> link_type(BackendKind kind);  // BackendLink

// Enum storage is converted through these so any enum (or int) works.
struct EnumCodec {
    std::function<int(const void*)> load;
    std::function<void(void*, int)> store;
};
// qapi_name: the name help shows ("OnOffAuto"); values: allowed names, in
// the order of the enum's numeric values 0, 1, 2...
std::shared_ptr<const PropertyType> enum_type(std::string qapi_name,
                                              std::vector<std::string> values,
                                              EnumCodec codec);

// QEMU's OnOffAuto, common enough to be predeclared.
enum class OnOffAuto { kAuto, kOn, kOff };

// ---------------------------------------------------------------------------
namespace prop {

namespace detail {

// The field accessor: D is the class that declares the member. Objects of a
// type always derive from the classes of its ancestor types, so the cast is
// checked only as a guard against a wrong factory.
template <class D, class T>
std::function<void*(Object&)> field_of(T D::*member) {
    return [member](Object& object) -> void* {
        D* derived = dynamic_cast<D*>(&object);
        if (!derived) throw std::logic_error("qom: property field on an object of the wrong class");
        return &(derived->*member);
    };
}

template <class D, class T>
Property make(std::string name, T D::*member, std::shared_ptr<const PropertyType> type,
              DefaultValue def, std::string description) {
    Property p;
    p.name = std::move(name);
    p.description = std::move(description);
    p.type = std::move(type);
    p.field = field_of(member);
    p.default_value = std::move(def);
    return p;
}

template <class T>
Property make_int(std::string name, std::function<void*(Object&)> field, T def,
                  std::string description) {
    static_assert(std::is_integral_v<T> && !std::is_same_v<T, bool>);
    Property p;
    p.name = std::move(name);
    p.description = std::move(description);
    p.type = int_type(std::is_signed_v<T>, sizeof(T) * 8);
    p.field = std::move(field);
    if constexpr (std::is_signed_v<T>) {
        p.default_value = static_cast<int64_t>(def);
    } else {
        p.default_value = static_cast<uint64_t>(def);
    }
    return p;
}

}  // namespace detail

template <class D>
Property boolean(std::string name, bool D::*member, bool def, std::string description = {}) {
    return detail::make(std::move(name), member, bool_type(), def, std::move(description));
}

#define MIMIC_QOM_INT_PROP(fn, T)                                                          \
    template <class D>                                                                     \
    Property fn(std::string name, T D::*member, T def, std::string description = {}) {     \
        return detail::make_int<T>(std::move(name), detail::field_of(member), def,         \
                                   std::move(description));                                \
    }
MIMIC_QOM_INT_PROP(int8, int8_t)
MIMIC_QOM_INT_PROP(int16, int16_t)
MIMIC_QOM_INT_PROP(int32, int32_t)
MIMIC_QOM_INT_PROP(int64, int64_t)
MIMIC_QOM_INT_PROP(uint8, uint8_t)
MIMIC_QOM_INT_PROP(uint16, uint16_t)
MIMIC_QOM_INT_PROP(uint32, uint32_t)
MIMIC_QOM_INT_PROP(uint64, uint64_t)
#undef MIMIC_QOM_INT_PROP

template <class D>
Property size(std::string name, uint64_t D::*member, uint64_t def, std::string description = {}) {
    return detail::make(std::move(name), member, size_type(), def, std::move(description));
}

// An empty default means "no default" (help shows none, value is "").
template <class D>
Property string(std::string name, std::string D::*member, std::string def = {},
                std::string description = {}) {
    DefaultValue d;
    if (!def.empty()) d = std::move(def);
    return detail::make(std::move(name), member, string_type(), std::move(d),
                        std::move(description));
}

// values[i] names the enum value with numeric value i.
template <class D, class E>
Property enumeration(std::string name, E D::*member, std::string qapi_name,
                     std::vector<std::string> values, E def, std::string description = {}) {
    std::string def_name = values.at(static_cast<size_t>(def));
    EnumCodec codec{
        [](const void* p) { return static_cast<int>(*static_cast<const E*>(p)); },
        [](void* p, int v) { *static_cast<E*>(p) = static_cast<E>(v); },
    };
    return detail::make(std::move(name), member,
                        enum_type(std::move(qapi_name), std::move(values), std::move(codec)),
                        std::move(def_name), std::move(description));
}

template <class D>
Property on_off_auto(std::string name, OnOffAuto D::*member, OnOffAuto def,
                     std::string description = {}) {
    // QEMU describes it in this order, not the enum's.
    if (description.empty()) description = "on/off/auto";
    return enumeration(std::move(name), member, "OnOffAuto", {"auto", "on", "off"}, def,
                       std::move(description));
}

// A plain QOM (non-qdev) string: "string" in qom-list and help.
template <class D>
Property object_string(std::string name, std::string D::*member, std::string description = {}) {
    return detail::make(std::move(name), member, object_string_type(), std::monostate{},
                        std::move(description))
        .plain_qom();
}

// A plain QOM (non-qdev) int64: "int" in qom-list and help.
template <class D>
Property object_int(std::string name, int64_t D::*member, int64_t def, std::string description = {}) {
    return detail::make(std::move(name), member, object_int_type(), def, std::move(description))
        .plain_qom();
}

template <class D>
Property mac(std::string name, MacAddress D::*member, std::string description = {}) {
    return detail::make(std::move(name), member, mac_type(), std::monostate{},
                        std::move(description));
}

// "addr=1f.3" or "addr=3"; -1 lets the bus pick a slot.
template <class D>
Property pci_devfn(std::string name, int32_t D::*member, int32_t def = -1,
                   std::string description = {}) {
    return detail::make(std::move(name), member, pci_devfn_type(), int64_t{def},
                        std::move(description));
}

// QEMU's bootindex: an int32, -1 (not a boot device) until set, shown
// neither with a default by help ("bootindex=<int32>") nor by `info qtree`
// (QEMU adds it as a plain QOM property).
template <class D>
Property bootindex(int32_t D::*member) {
    Property p = detail::make_int<int32_t>("bootindex", detail::field_of(member), -1, {});
    p.qdev_help = false;
    p.in_qtree = false;
    return p;
}

template <class D>
Property drive(std::string name, BackendLink D::*member, std::string description = {}) {
    return detail::make(std::move(name), member, link_type(BackendKind::kDrive),
                        std::monostate{}, std::move(description));
}
template <class D>
Property netdev(std::string name, BackendLink D::*member, std::string description = {}) {
    return detail::make(std::move(name), member, link_type(BackendKind::kNetdev),
                        std::monostate{}, std::move(description));
}
template <class D>
Property chardev(std::string name, BackendLink D::*member, std::string description = {}) {
    return detail::make(std::move(name), member, link_type(BackendKind::kChardev),
                        std::monostate{}, std::move(description));
}

}  // namespace prop

// The "  name=<type>   - description (default: x)" line of -device NAME,help.
std::string property_help_line(const Property& property);

}  // namespace mimic::qom
