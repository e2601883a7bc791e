// User-creatable objects: what -object, object-add and HMP object_add make
// (QEMU's TYPE_USER_CREATABLE). They live under the root's /objects
// container as /objects/<id>, apart from the machine, and object-del
// removes them again.
//
// Creation has QEMU's two phases: the object is made and its properties
// set from the user's values, it is added as /objects/<id>, then complete()
// checks the combination and loads what it needs; a failure there takes it
// out again.
#pragma once
#include <nlohmann/json_fwd.hpp>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>
#include "mimic/qom/object.h"
namespace mimic::qom {

inline constexpr const char* kTypeUserCreatable = "user-creatable";  // abstract

class UserCreatable : public Object {
public:
    // After all properties are set. Throws mimic::Error with QEMU's text.
    virtual void complete() {}
};

// Who gave the properties: the command line words some errors differently
// ("Invalid parameter 'x'") from QMP and HMP ("Parameter 'x' is unexpected").
enum class ObjectSource { kCommandLine, kMonitor };

// Properties as text (-object, HMP) or as typed JSON values (QMP).
struct ObjectProperty {
    std::string name;
    std::string text;
};

// Checks the type and the id and sets the properties; throws mimic::Error
// ("Parameter 'qom-type' does not accept value 'x'", "Parameter 'id'
// expects an identifier", ...). `json_props` may be null; otherwise an object.
std::unique_ptr<UserCreatable> user_creatable_new(std::string_view type_name, std::string_view id,
                                                  const std::vector<ObjectProperty>& text_props,
                                                  const nlohmann::json* json_props, ObjectSource source);

// Adds `object` as /objects/<id> under the root of `tree` and completes it.
// Throws mimic::Error ("attempt to add duplicate property 'x' to object
// (type 'container')" or the type's complete() error); nothing is added then.
UserCreatable& user_creatable_add(Object& tree, std::string id, std::unique_ptr<UserCreatable> object);

// object-del: "object 'x' not found".
void user_creatable_del(Object& tree, std::string_view id);

// The /objects container of the tree `tree` belongs to, created if missing.
Container& objects_container(Object& tree);

// Keeps the object types of Mimic's core linked in (mimic_qom is a static
// library): call before looking types up by name.
void link_object_types();

// A user id as QEMU accepts it: a letter, then letters, digits, '-', '.', '_'.
bool id_wellformed(std::string_view id);

}  // namespace mimic::qom
