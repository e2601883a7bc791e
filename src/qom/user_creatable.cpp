#include "mimic/qom/user_creatable.h"

#include <nlohmann/json.hpp>

#include "mimic/util/error.h"

#include <cerrno>
#include <cstdlib>

namespace mimic::qom {

MIMIC_REGISTER_TYPE({
    .name = kTypeUserCreatable,
    .parent = kTypeObject,
    .abstract = true,
});

bool id_wellformed(std::string_view id) {
    auto letter = [](char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); };
    if (id.empty() || !letter(id.front())) return false;
    for (char c : id) {
        if (!letter(c) && !(c >= '0' && c <= '9') && c != '-' && c != '.' && c != '_') return false;
    }
    return true;
}

// Defined next to each type's registration. mimic_qom is a static library,
// which drops files nobody references, registrations included; calling
// these keeps the object types linked wherever objects can be created.
void link_secret_type();
void link_iothread_type();
void link_rng_types();

namespace {

void check_known_property(const Object& object, const std::string& name, ObjectSource source) {
    if (object.find_property(name)) return;
    if (source == ObjectSource::kCommandLine) throw Error("Invalid parameter '{}'", name);
    throw Error("Parameter '{}' is unexpected", name);
}

// -object reads integers through QEMU's keyval visitor, whose complaint
// differs from -device's ("expects an int64 value").
void check_int64_text(const Property& property, std::string_view text, ObjectSource source) {
    if (property.type->name() != "int64" && property.type->name() != "int") return;
    std::string copy(text);
    char* end = nullptr;
    errno = 0;
    std::strtoll(copy.c_str(), &end, 0);
    if (copy.empty() || *end != '\0' || errno == ERANGE) {
        // HMP's object_add goes through QEMU's opts visitor, worded differently.
        if (source == ObjectSource::kMonitor) throw Error("Parameter '{}' expects integer", property.name);
        throw Error("Parameter '{}' expects an int64 value", property.name);
    }
}

}  // namespace

void link_object_types() {
    link_secret_type();
    link_iothread_type();
    link_rng_types();
}

std::unique_ptr<UserCreatable> user_creatable_new(std::string_view type_name, std::string_view id,
                                                  const std::vector<ObjectProperty>& text_props,
                                                  const nlohmann::json* json_props, ObjectSource source) {
    link_object_types();
    if (type_name.empty()) throw Error("Parameter 'qom-type' is missing");
    const Type* type = find_type(type_name);
    if (!type || type->is_abstract() || !type->is_a(kTypeUserCreatable)) {
        throw Error("Parameter 'qom-type' does not accept value '{}'", type_name);
    }
    if (id.empty()) throw Error("Parameter 'id' is missing");
    if (!id_wellformed(id)) throw Error("Parameter 'id' expects an identifier");
    std::unique_ptr<UserCreatable> object = new_object<UserCreatable>(type->name());
    for (const ObjectProperty& property : text_props) {
        check_known_property(*object, property.name, source);
        check_int64_text(*object->find_property(property.name), property.text, source);
        object->parse_property(property.name, property.text);
    }
    if (json_props) {
        for (const auto& [name, value] : json_props->items()) {
            check_known_property(*object, name, source);
            object->set_property(name, value);
        }
    }
    return object;
}

Container& objects_container(Object& tree) {
    Object* root = &tree;
    while (root->parent()) root = root->parent();
    auto* container = dynamic_cast<Container*>(root);
    if (!container) throw std::logic_error("qom: the tree's root is not a container");
    return container->get_or_add("objects");
}

UserCreatable& user_creatable_add(Object& tree, std::string id, std::unique_ptr<UserCreatable> object) {
    Container& objects = objects_container(tree);
    auto& added = objects.add_child(std::move(id), std::move(object));
    try {
        added.complete();
    } catch (...) {
        objects.remove_child(added);
        throw;
    }
    return added;
}

void user_creatable_del(Object& tree, std::string_view id) {
    Container& objects = objects_container(tree);
    Object* object = objects.child(id);
    if (!object) throw Error("object '{}' not found", id);
    objects.remove_child(*object);
}

}  // namespace mimic::qom
