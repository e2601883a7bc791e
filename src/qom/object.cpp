#include "mimic/qom/object.h"

#include <nlohmann/json.hpp>

#include <algorithm>

#include "mimic/util/error.h"

namespace mimic::qom {

MIMIC_REGISTER_TYPE({
    .name = kTypeObject,
    .abstract = true,
});

MIMIC_REGISTER_TYPE({
    .name = kTypeContainer,
    .parent = kTypeObject,
    .factory = factory_of<Container>(),
});

Object::~Object() { destroy_children(); }

void Object::destroy_children() {
    // Pop before destroying, so a child's on_unparent() may remove siblings
    // (a bus evicting its devices) without invalidating this loop.
    while (!children_.empty()) {
        std::unique_ptr<Object> child = std::move(children_.back());
        children_.pop_back();
        child->on_unparent();
        child->parent_ = nullptr;
        child.reset();
    }
}

Object& Object::add_child(std::string name, std::unique_ptr<Object> child) {
    if (this->child(name)) {
        throw Error("attempt to add duplicate property '{}' to object (type '{}')", name,
                    type_name());
    }
    if (child->parent_) throw std::logic_error("qom: object already has a parent");
    child->parent_ = this;
    child->child_name_ = std::move(name);
    children_.push_back(std::move(child));
    return *children_.back();
}

Object& Object::add_child_indexed(std::string_view prefix, std::unique_ptr<Object> child) {
    for (int i = 0;; ++i) {
        std::string name = fmt::format("{}[{}]", prefix, i);
        if (!this->child(name)) return add_child(std::move(name), std::move(child));
    }
}

std::unique_ptr<Object> Object::take_child(Object& child) {
    auto it = std::find_if(children_.begin(), children_.end(),
                           [&](const auto& c) { return c.get() == &child; });
    if (it == children_.end()) return nullptr;
    std::unique_ptr<Object> owned = std::move(*it);
    children_.erase(it);
    owned->parent_ = nullptr;
    owned->child_name_.clear();
    return owned;
}

void Object::remove_child(Object& child) {
    auto it = std::find_if(children_.begin(), children_.end(),
                           [&](const auto& c) { return c.get() == &child; });
    if (it == children_.end()) return;
    std::unique_ptr<Object> owned = std::move(*it);
    children_.erase(it);
    owned->on_unparent();
    owned->parent_ = nullptr;
}

Object* Object::child(std::string_view name) const {
    for (const auto& c : children_) {
        if (c->child_name_ == name) return c.get();
    }
    return nullptr;
}

std::vector<Object*> Object::children() const {
    std::vector<Object*> result;
    result.reserve(children_.size());
    for (const auto& c : children_) result.push_back(c.get());
    return result;
}

std::string Object::canonical_path() const {
    if (is_root_) return "/";
    std::string path;
    const Object* o = this;
    for (; o->parent_; o = o->parent_) path = "/" + o->child_name_ + path;
    return o->is_root_ ? path : std::string();
}

Object* Object::resolve_path(std::string_view path) {
    Object* o = this;
    if (!path.empty() && path.front() == '/') {
        while (o->parent_) o = o->parent_;
    }
    while (!path.empty()) {
        size_t slash = path.find('/');
        std::string_view part = path.substr(0, slash);
        path = slash == std::string_view::npos ? std::string_view() : path.substr(slash + 1);
        if (part.empty()) continue;
        o = o->child(part);
        if (!o) return nullptr;
    }
    return o;
}

// ---- properties ----

const Property& Object::property_or_throw(std::string_view name) const {
    const Property* p = find_property(name);
    if (p) return *p;
    nlohmann::json ignored;
    if (get_builtin_property(name, ignored)) {
        throw Error("Property '{}.{}' is not writable", type_name(), name);
    }
    throw Error("Property '{}.{}' not found", type_name(), name);
}

PropertySlot Object::slot(const Property& property) const {
    // Reading goes through the same accessor as writing; the type promises
    // not to modify the field in get/print.
    return PropertySlot{*this, property, property.field(const_cast<Object&>(*this))};
}

void Object::check_writable(const Property&) const {}

void Object::parse_property(std::string_view name, std::string_view text) {
    const Property& p = property_or_throw(name);
    check_writable(p);
    nlohmann::json old = p.type->get(slot(p));
    p.type->parse(slot(p), text);
    validate_or_restore(p, old);
    apply_property(p);
}

void Object::set_property(std::string_view name, const nlohmann::json& value) {
    const Property& p = property_or_throw(name);
    check_writable(p);
    nlohmann::json old = p.type->get(slot(p));
    p.type->set(slot(p), value);
    validate_or_restore(p, old);
    apply_property(p);
}

void Object::validate_or_restore(const Property& property, const nlohmann::json& old) {
    try {
        validate_property(property);
    } catch (const Error& e) {
        property.type->set(slot(property), old);
        throw PropertySetterError("{}", e.what());
    }
}

void Object::apply_property(const Property& property) {
    try {
        property_changed(property);
    } catch (const Error& e) {
        throw PropertySetterError("{}", e.what());
    }
}

nlohmann::json Object::get_property(std::string_view name) const {
    if (const Property* p = find_property(name)) return p->type->get(slot(*p));
    nlohmann::json value;
    if (get_builtin_property(name, value)) return value;
    // A child property reads as the child's path, as QEMU's child<> do.
    if (Object* c = child(name)) return c->canonical_path();
    throw Error("Property '{}.{}' not found", type_name(), name);
}

void Object::list_builtin_properties(std::vector<PropertyListing>& out) const {
    out.push_back({"type", "string"});
}

bool Object::get_builtin_property(std::string_view name, nlohmann::json& value) const {
    if (name != "type") return false;
    value = type_name();
    return true;
}

std::vector<Object::PropertyListing> Object::list_properties() const {
    std::vector<PropertyListing> out;
    list_builtin_properties(out);
    for (const auto& c : children_) out.push_back({c->child_name_, "child<" + c->type_name() + ">"});
    for (const Property* p : type_->all_properties()) {
        out.push_back({p->name, std::string(p->type->name())});
    }
    return out;
}

std::string Object::print_property(std::string_view name) const {
    const Property& p = property_or_throw(name);
    return p.type->print(slot(p));
}

// ---- Container ----

std::unique_ptr<Container> Container::make_root() {
    std::unique_ptr<Container> root = new_object<Container>(kTypeContainer);
    root->is_root_ = true;
    return root;
}

Container& Container::get_or_add(std::string_view name) {
    if (Object* existing = child(name)) {
        if (auto* c = dynamic_cast<Container*>(existing)) return *c;
        throw std::logic_error("qom: child " + std::string(name) + " is not a container");
    }
    return add_child(std::string(name), new_object<Container>(kTypeContainer));
}

std::unique_ptr<Object> new_object(std::string_view type_name) {
    const Type* type = TypeRegistry::instance().find(type_name);
    if (!type) throw std::logic_error("qom: unknown type " + std::string(type_name));
    return type->instantiate();
}

}  // namespace mimic::qom
