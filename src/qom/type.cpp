#include "mimic/qom/type.h"

#include <algorithm>
#include <stdexcept>
#include <strings.h>

#include "mimic/qom/object.h"

namespace mimic::qom {

const char* device_category_name(DeviceCategory category) {
    switch (category) {
        case DeviceCategory::kBridge: return "Controller/Bridge/Hub";
        case DeviceCategory::kUsb: return "USB";
        case DeviceCategory::kStorage: return "Storage";
        case DeviceCategory::kNetwork: return "Network";
        case DeviceCategory::kInput: return "Input";
        case DeviceCategory::kDisplay: return "Display";
        case DeviceCategory::kSound: return "Sound";
        case DeviceCategory::kMisc: return "Misc";
        case DeviceCategory::kCpu: return "CPU";
        case DeviceCategory::kWatchdog: return "Watchdog";
    }
    return "Uncategorized";
}

// Parents are looked up on first use rather than at registration, because
// static registrations run in an unspecified order across files.
const Type* Type::parent() const {
    if (!parent_resolved_) {
        if (!info_.parent.empty()) {
            parent_ = TypeRegistry::instance().find(info_.parent);
            if (!parent_) {
                throw std::logic_error("qom: type " + info_.name + " has unknown parent " +
                                       info_.parent);
            }
        }
        parent_resolved_ = true;
    }
    return parent_;
}

bool Type::is_a(const Type& ancestor) const {
    for (const Type* t = this; t; t = t->parent()) {
        if (t == &ancestor) return true;
    }
    return false;
}

bool Type::is_a(std::string_view ancestor) const {
    for (const Type* t = this; t; t = t->parent()) {
        if (t->name() == ancestor) return true;
    }
    return false;
}

// A subtype may redeclare a parent's property (typically to change its
// default); the most derived declaration wins and the other is hidden.
std::vector<const Property*> Type::all_properties() const {
    std::vector<const Property*> result;
    for (const Type* t = this; t; t = t->parent()) {
        for (const Property& p : t->info_.properties) {
            bool hidden = std::any_of(result.begin(), result.end(),
                                      [&](const Property* seen) { return seen->name == p.name; });
            if (!hidden) result.push_back(&p);
        }
    }
    return result;
}

const Property* Type::find_property(std::string_view name) const {
    for (const Type* t = this; t; t = t->parent()) {
        for (const Property& p : t->info_.properties) {
            if (p.name == name) return &p;
        }
    }
    return nullptr;
}

const std::string& Type::bus_type() const {
    static const std::string kNone;
    for (const Type* t = this; t; t = t->parent()) {
        if (t->info_.bus_type) return *t->info_.bus_type;
    }
    return kNone;
}

std::vector<DeviceCategory> Type::categories() const {
    for (const Type* t = this; t; t = t->parent()) {
        if (!t->info_.categories.empty()) return t->info_.categories;
    }
    return {};
}

// Devices are user-creatable and hotpluggable unless a type says otherwise
// (QEMU's DeviceClass defaults).
bool Type::user_creatable() const {
    for (const Type* t = this; t; t = t->parent()) {
        if (t->info_.user_creatable) return *t->info_.user_creatable;
    }
    return true;
}

bool Type::hotpluggable() const {
    for (const Type* t = this; t; t = t->parent()) {
        if (t->info_.hotpluggable) return *t->info_.hotpluggable;
    }
    return true;
}

std::unique_ptr<Object> Type::instantiate() const {
    if (info_.abstract || !info_.factory) {
        throw std::logic_error("qom: cannot instantiate abstract type " + info_.name);
    }
    std::unique_ptr<Object> object = info_.factory();
    object->type_ = this;
    // Root-most defaults first, so nothing depends on the order within a
    // class hierarchy; each property is declared once anyway.
    std::vector<const Property*> props = all_properties();
    for (auto it = props.rbegin(); it != props.rend(); ++it) {
        const Property& p = **it;
        p.type->set_default(object->slot(p), p.default_value);
    }
    object->post_init();
    return object;
}

TypeRegistry& TypeRegistry::instance() {
    static TypeRegistry registry;
    return registry;
}

const Type& TypeRegistry::add(TypeInfo info) {
    if (info.name.empty()) throw std::logic_error("qom: type without a name");
    if (types_.count(info.name)) throw std::logic_error("qom: type registered twice: " + info.name);
    std::string name = info.name;
    auto type = std::make_unique<Type>(std::move(info));
    const Type& ref = *type;
    types_.emplace(std::move(name), std::move(type));
    return ref;
}

const Type* TypeRegistry::find(std::string_view name, bool with_alias) const {
    auto it = types_.find(name);
    if (it != types_.end()) return it->second.get();
    if (with_alias && !name.empty()) {
        for (const auto& [_, type] : types_) {
            if (type->alias() == name) return type.get();
        }
    }
    return nullptr;
}

std::vector<const Type*> TypeRegistry::list(std::string_view ancestor, bool include_abstract) const {
    std::vector<const Type*> result;
    for (const auto& [_, type] : types_) {
        if ((include_abstract || !type->is_abstract()) && type->is_a(ancestor)) {
            result.push_back(type.get());
        }
    }
    std::stable_sort(result.begin(), result.end(), [](const Type* a, const Type* b) {
        return strcasecmp(a->name().c_str(), b->name().c_str()) < 0;
    });
    return result;
}

}  // namespace mimic::qom
