// The base of every object: its type, its place in the composition tree and
// access to its typed properties.
//
// Ownership: an object is owned by its composition parent (unique_ptr held
// in the parent's child list); objects not yet in the tree are owned by
// whoever holds the unique_ptr returned by new_object(). Other references
// (a device's bus, a bus's device list, QMP lookups) are plain pointers,
// valid while the object is in the tree. Removing a child (remove_child) or
// destroying an ancestor first calls the child's on_unparent() hook, while
// the object is still whole, so a device can unrealize and leave its bus;
// then it is deleted. Children are destroyed newest first.
//
// Paths: the tree hangs from a root container (Container::make_root()), so
// an object's canonical path is "/machine/peripheral/net0". An object
// outside any rooted tree has no canonical path ("").
#pragma once

#include <nlohmann/json_fwd.hpp>

#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "mimic/qom/type.h"
#include "mimic/util/error.h"

namespace mimic::qom {

// A value of the right type that the object refused (validate_property,
// property_changed): QEMU's setters report these where -object reports
// its parse errors with the option's text, without it.
class PropertySetterError : public Error {
public:
    using Error::Error;
};

class Object {
public:
    Object() = default;
    virtual ~Object();
    Object(const Object&) = delete;
    Object& operator=(const Object&) = delete;

    const Type& type() const { return *type_; }
    const std::string& type_name() const { return type_->name(); }
    bool is_a(std::string_view type_name) const { return type_->is_a(type_name); }

    // ---- composition tree ----
    Object* parent() const { return parent_; }
    // The name under the parent ("net0", "device[3]"); empty when detached.
    const std::string& child_name() const { return child_name_; }

    // Takes ownership. A taken name throws mimic::Error
    // "attempt to add duplicate property 'x' to object (type 'container')"
    // (callers with user-facing names, like device_add, check first).
    Object& add_child(std::string name, std::unique_ptr<Object> child);
    template <class T>
    T& add_child(std::string name, std::unique_ptr<T> child) {
        return static_cast<T&>(add_child(std::move(name), std::unique_ptr<Object>(child.release())));
    }
    // Adds as "<prefix>[N]" with the lowest free N ("device[0]", "device[1]").
    Object& add_child_indexed(std::string_view prefix, std::unique_ptr<Object> child);

    // Runs child.on_unparent(), then destroys it.
    void remove_child(Object& child);
    // Gives up ownership without running on_unparent (e.g. to move it).
    std::unique_ptr<Object> take_child(Object& child);

    Object* child(std::string_view name) const;
    // In the order they were added.
    std::vector<Object*> children() const;

    bool is_root() const { return is_root_; }
    std::string canonical_path() const;
    // Absolute ("/machine/peripheral/net0", from this object's root) or
    // relative to this object ("peripheral/net0"); nullptr if absent.
    Object* resolve_path(std::string_view path);

    // ---- properties ----
    const Property* find_property(std::string_view name) const { return type_->find_property(name); }

    // From command-line text ("on", "64K", "1f.3"), as QEMU's
    // object_property_parse. Throws mimic::Error:
    //   "Property 'e1000.bogus' not found", or the type's parse error.
    void parse_property(std::string_view name, std::string_view text);
    // From a typed value (QMP qom-set, board code): set_property("speed", 100).
    // The JSON kind must fit the property ("Invalid parameter type for ...").
    void set_property(std::string_view name, const nlohmann::json& value);
    // Declared properties, then the built-in read-only ones ("type"; for
    // devices "realized", "hotplugged", "hotpluggable", "parent_bus").
    nlohmann::json get_property(std::string_view name) const;
    // As `info qtree` shows the value ("1 (0x1)", "\"nd0\"", "03.0").
    std::string print_property(std::string_view name) const;

    // What qom-list shows: name and type, e.g. {"type","string"},
    // {"peripheral","child<container>"}, {"mac","str"}, {"realized","bool"}; a plain QOM
    // string is "string" and a qdev one "str", as in QEMU (property.h).
    struct PropertyListing {
        std::string name;
        std::string type;
    };
    std::vector<PropertyListing> list_properties() const;

protected:
    // Refuses writes to `property` now (Device: after realize). Throws mimic::Error.
    virtual void check_writable(const Property& property) const;
    // After `property` took a new value from parse_property or set_property;
    // throwing mimic::Error refuses it and the old value is put back.
    virtual void validate_property(const Property&) const {}
    // After `property` took a validated new value: applying it may still
    // fail (mimic::Error), and then, as with QEMU's setters that apply
    // as they set, the new value stays.
    virtual void property_changed(const Property&) {}
    // After the defaults are applied, before anyone else sees the object
    // (Device applies -global here). May throw mimic::Error.
    virtual void post_init() {}
    // Before the parent destroys this object; the object is still whole.
    virtual void on_unparent() {}

    // Read-only properties a class computes rather than declares. A class
    // adds its own after its base's; get returns false for unknown names.
    virtual void list_builtin_properties(std::vector<PropertyListing>& out) const;
    virtual bool get_builtin_property(std::string_view name, nlohmann::json& value) const;

    // Destroys all children now, newest first (each gets on_unparent()).
    void destroy_children();

    const Property& property_or_throw(std::string_view name) const;
    PropertySlot slot(const Property& property) const;
    // Both throw PropertySetterError.
    void validate_or_restore(const Property& property, const nlohmann::json& old);
    void apply_property(const Property& property);

private:
    friend class Type;
    friend class Container;

    const Type* type_ = nullptr;
    Object* parent_ = nullptr;
    std::string child_name_;
    std::vector<std::unique_ptr<Object>> children_;
    bool is_root_ = false;
};

// A plain node of the tree ("/", "/machine/peripheral").
class Container : public Object {
public:
    // The root of a tree; its canonical path is "/".
    static std::unique_ptr<Container> make_root();
    // The child container `name`, created if missing.
    Container& get_or_add(std::string_view name);
};

// Creates an object of a registered, non-abstract type. Throws
// std::logic_error for unknown/abstract names (user input is checked by the
// callers, with QEMU's texts) and mimic::Error from post_init (-global).
std::unique_ptr<Object> new_object(std::string_view type_name);

template <class T>
std::unique_ptr<T> new_object(std::string_view type_name) {
    std::unique_ptr<Object> object = new_object(type_name);
    T* typed = dynamic_cast<T*>(object.get());
    if (!typed) throw std::logic_error("qom: type " + std::string(type_name) + " has another class");
    object.release();
    return std::unique_ptr<T>(typed);
}

// The first object of the tree under `object` (itself included, depth
// first) that implements T, or nullptr.
template <typename T>
T* find_in_tree(const Object& object) {
    if (auto* found = dynamic_cast<T*>(const_cast<Object*>(&object))) return found;
    for (Object* child : object.children()) {
        if (T* found = find_in_tree<T>(*child)) return found;
    }
    return nullptr;
}

// The object types registered by the core: "object", "container".
inline constexpr const char* kTypeObject = "object";
inline constexpr const char* kTypeContainer = "container";

}  // namespace mimic::qom
