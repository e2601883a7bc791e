// The type registry: every object class registers a named type with its
// parent, properties and (for devices) bus and help metadata.
//
// Registration is static, at namespace scope, the way QEMU's type_init is:
//
//     MIMIC_REGISTER_TYPE({
//         .name = "e1000",
//         .parent = "pci-device",
//         .factory = qom::factory_of<E1000>(),
//         .description = "Intel Gigabit Ethernet",
//         .properties = {
//             prop::mac("mac", &E1000::mac_),
//             prop::netdev("netdev", &E1000::netdev_),
//         },
//         .categories = {DeviceCategory::kNetwork},
//     });
//
// A static library drops object files nobody references, registrations
// included: libraries made of device models must be linked whole
// ($<LINK_LIBRARY:WHOLE_ARCHIVE,...>) or be OBJECT libraries.
//
// Optional fields left unset inherit from the parent type (bus_type,
// user_creatable, hotpluggable, categories), as QEMU's class_init chain does.
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "mimic/qom/property.h"

namespace mimic::qom {

class Object;

// -device help groups, in the order QEMU prints them.
enum class DeviceCategory {
    kBridge, kUsb, kStorage, kNetwork, kInput, kDisplay, kSound, kMisc, kCpu, kWatchdog,
};
// "Controller/Bridge/Hub", "USB", "Storage", ...
const char* device_category_name(DeviceCategory category);

using Factory = std::function<std::unique_ptr<Object>()>;

template <class T>
Factory factory_of() {
    return [] { return std::unique_ptr<Object>(new T()); };
}

// What a registration states. Designated-initializer friendly: keep the
// field order stable (every member has an initializer so -Wextra stays
// quiet about the ones a registration leaves out).
struct TypeInfo {
    std::string name{};
    std::string parent{};  // empty only for the root type "object"
    bool abstract = false;
    Factory factory{};   // required unless abstract
    std::string description{};
    std::vector<Property> properties{};  // this type's own, in declaration order

    // Device types (ignored for others); unset inherits from the parent.
    std::optional<std::string> bus_type{};  // bus type name ("PCI"); "" for none
    std::vector<DeviceCategory> categories{};
    std::optional<bool> user_creatable{};  // may -device create it?
    std::optional<bool> hotpluggable{};    // may device_add create it at run time?
    std::string alias{};                   // second -device name ("e1000-82540em")
};

// A registered type. Lives until exit; pointers to it stay valid.
class Type {
public:
    explicit Type(TypeInfo info) : info_(std::move(info)) {}

    const std::string& name() const { return info_.name; }
    const Type* parent() const;  // nullptr for "object"
    bool is_abstract() const { return info_.abstract; }
    const std::string& description() const { return info_.description; }
    const std::string& alias() const { return info_.alias; }

    bool is_a(const Type& ancestor) const;
    bool is_a(std::string_view ancestor) const;

    // Own properties in declaration order.
    const std::vector<Property>& own_properties() const { return info_.properties; }
    // Own and inherited; this type's first, then its parent's, as qtree lists
    // them. A name redeclared by a subtype (to change its default) appears
    // once, as the subtype declares it.
    std::vector<const Property*> all_properties() const;
    const Property* find_property(std::string_view name) const;

    const std::string& bus_type() const;
    std::vector<DeviceCategory> categories() const;
    bool user_creatable() const;
    bool hotpluggable() const;

    // A new object of this type with its property defaults applied (see
    // Object::post_init for what follows). Throws std::logic_error for
    // abstract types: callers that take names from users check first.
    std::unique_ptr<Object> instantiate() const;

private:
    friend class TypeRegistry;
    TypeInfo info_;
    mutable const Type* parent_ = nullptr;
    mutable bool parent_resolved_ = false;
};

class TypeRegistry {
public:
    static TypeRegistry& instance();

    // Throws std::logic_error for a duplicate name (a programming error).
    const Type& add(TypeInfo info);
    // By name, or by alias when `with_alias`.
    const Type* find(std::string_view name, bool with_alias = false) const;
    // Non-abstract (unless include_abstract) types that are `ancestor` or
    // derive from it, sorted by name case-insensitively as QEMU lists them.
    std::vector<const Type*> list(std::string_view ancestor, bool include_abstract) const;

private:
    std::map<std::string, std::unique_ptr<Type>, std::less<>> types_;
};

// Shorthands for the process-wide registry.
inline const Type* find_type(std::string_view name) { return TypeRegistry::instance().find(name); }

struct TypeRegistration {
    explicit TypeRegistration(TypeInfo info) { TypeRegistry::instance().add(std::move(info)); }
};

}  // namespace mimic::qom

#define MIMIC_QOM_CONCAT_(a, b) a##b
#define MIMIC_QOM_CONCAT(a, b) MIMIC_QOM_CONCAT_(a, b)
// Registers a type at static-initialization time; the argument is a TypeInfo
// initializer. Use at namespace scope, once per type.
#define MIMIC_REGISTER_TYPE(...)                                                       \
    static const ::mimic::qom::TypeRegistration MIMIC_QOM_CONCAT(mimic_qom_type_,      \
                                                                 __LINE__){            \
        ::mimic::qom::TypeInfo __VA_ARGS__}
