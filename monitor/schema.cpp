#include "mimic/monitor/schema.h"

#include "mimic/monitor/qmp_error.h"

#include <fmt/format.h>

#include <algorithm>
#include <cstdint>
#include <limits>

namespace mimic::monitor {

namespace {

struct IntRange {
    const char* name;
    int64_t min;
    uint64_t max;
};

// Builtin integer types and their ranges; "size" is QAPI's uint64 alias.
const IntRange kIntTypes[] = {
    {"int", INT64_MIN, INT64_MAX},      {"int8", INT8_MIN, INT8_MAX},
    {"int16", INT16_MIN, INT16_MAX},    {"int32", INT32_MIN, INT32_MAX},
    {"int64", INT64_MIN, INT64_MAX},    {"uint8", 0, UINT8_MAX},
    {"uint16", 0, UINT16_MAX},          {"uint32", 0, UINT32_MAX},
    {"uint64", 0, UINT64_MAX},          {"size", 0, UINT64_MAX},
};

const IntRange* find_int_type(const TypeName& name) {
    for (const IntRange& range : kIntTypes) {
        if (name == range.name) return &range;
    }
    return nullptr;
}

// SchemaInfoBuiltin's json-type for each builtin.
const char* builtin_json_type(const TypeName& name) {
    if (name == "str") return "string";
    if (name == "number") return "number";
    if (name == "bool") return "boolean";
    if (name == "null") return "null";
    if (name == "any") return "value";
    if (find_int_type(name)) return "int";
    return nullptr;
}

bool is_array(const TypeName& type) { return type.size() > 2 && type.front() == '[' && type.back() == ']'; }
TypeName element_of(const TypeName& type) { return type.substr(1, type.size() - 2); }

[[noreturn]] void wrong_type(const std::string& path, const char* expected) {
    throw QmpError(fmt::format("Invalid parameter type for '{}', expected: {}", path, expected));
}

template <typename Def>
void add_or_replace(std::vector<Def>& list, Def def) {
    auto it = std::find_if(list.begin(), list.end(), [&](const Def& d) { return d.name == def.name; });
    if (it != list.end()) {
        *it = std::move(def);
    } else {
        list.push_back(std::move(def));
    }
}

}  // namespace

void Schema::add_enum(EnumDef def) {
    if (!enums_.count(def.name)) type_order_.push_back(def.name);
    enums_[def.name] = std::move(def);
}

void Schema::add_object(ObjectDef def) {
    if (!objects_.count(def.name)) type_order_.push_back(def.name);
    objects_[def.name] = std::move(def);
}

void Schema::add_command(CommandDef def) { add_or_replace(commands_, std::move(def)); }
void Schema::add_event(EventDef def) { add_or_replace(events_, std::move(def)); }

const CommandDef* Schema::find_command(const std::string& name) const {
    for (const CommandDef& command : commands_) {
        if (command.name == name) return &command;
    }
    return nullptr;
}

const EventDef* Schema::find_event(const std::string& name) const {
    for (const EventDef& event : events_) {
        if (event.name == name) return &event;
    }
    return nullptr;
}

void Schema::check_arguments(const CommandDef& command, const Json& arguments) const {
    check_members(command.arguments, arguments, "", command.extra_arguments);
}

void Schema::check_event_data(const EventDef& event, const Json& data) const {
    check_members(event.data, data, "");
}

void Schema::check_members(const std::vector<Member>& members, const Json& object, const std::string& prefix,
                           bool allow_extra) const {
    // Declared members first, in order, then anything left over: the same
    // order QEMU's input visitor reports problems in.
    for (const Member& member : members) {
        std::string path = prefix + member.name;
        auto it = object.find(member.name);
        if (it == object.end()) {
            if (!member.optional) throw QmpError(fmt::format("Parameter '{}' is missing", path));
            continue;
        }
        check_value(member.type, *it, path);
    }
    if (allow_extra) return;
    for (auto it = object.begin(); it != object.end(); ++it) {
        bool declared = std::any_of(members.begin(), members.end(),
                                    [&](const Member& member) { return member.name == it.key(); });
        if (!declared) throw QmpError(fmt::format("Parameter '{}' is unexpected", prefix + it.key()));
    }
}

void Schema::check_value(const TypeName& type, const Json& value, const std::string& path) const {
    if (is_array(type)) {
        if (!value.is_array()) wrong_type(path, "array");
        for (size_t i = 0; i < value.size(); ++i) {
            check_value(element_of(type), value[i], fmt::format("{}[{}]", path, i));
        }
        return;
    }
    if (type == "any") return;
    if (type == "str") {
        if (!value.is_string()) wrong_type(path, "string");
        return;
    }
    if (type == "bool") {
        if (!value.is_boolean()) wrong_type(path, "boolean");
        return;
    }
    if (type == "number") {
        if (!value.is_number()) wrong_type(path, "number");
        return;
    }
    if (type == "null") {
        if (!value.is_null()) wrong_type(path, "null");
        return;
    }
    if (const IntRange* range = find_int_type(type)) {
        if (!value.is_number_integer()) wrong_type(path, "integer");
        bool ok;
        if (value.is_number_unsigned()) {
            ok = value.get<uint64_t>() <= range->max;
        } else {
            int64_t v = value.get<int64_t>();
            ok = v >= range->min && (v < 0 || static_cast<uint64_t>(v) <= range->max);
        }
        if (!ok) {
            // Negative numbers for unsigned types are a type mismatch in QEMU,
            // values too large for a sized type a range error.
            if (range->min == 0 && !value.is_number_unsigned() && value.get<int64_t>() < 0) {
                wrong_type(path, "integer");
            }
            throw QmpError(fmt::format("Parameter '{}' expects {}", path, type));
        }
        return;
    }
    if (auto it = enums_.find(type); it != enums_.end()) {
        if (!value.is_string()) wrong_type(path, "string");
        const std::vector<std::string>& values = it->second.values;
        if (std::find(values.begin(), values.end(), value.get<std::string>()) == values.end()) {
            throw QmpError(fmt::format("Parameter '{}' does not accept value '{}'", path, value.get<std::string>()));
        }
        return;
    }
    if (auto it = objects_.find(type); it != objects_.end()) {
        if (!value.is_object()) wrong_type(path, "object");
        check_members(it->second.members, value, path + ".");
        return;
    }
    // An undeclared type is a bug in a declaration, not in the request; be
    // permissive rather than fail every call.
}

namespace {

// Assigns QEMU-style masked names ("0", "1", ...) to non-builtin types as
// introspection meets them, and collects their SchemaInfo entries.
class Introspector {
public:
    Introspector(const std::map<std::string, EnumDef>& enums, const std::map<std::string, ObjectDef>& objects)
        : enums_(enums), objects_(objects) {
        // "0" is always the empty object: the argument type of commands that
        // take none and the return type of commands that return {}.
        types_.push_back({{"name", "0"}, {"meta-type", "object"}, {"members", Json::array()}});
    }

    std::string ref(const TypeName& type) {
        if (type.empty()) return "0";
        if (builtin_json_type(type)) return builtin(type);
        if (auto it = masked_.find(type); it != masked_.end()) return it->second;
        if (is_array(type)) {
            std::string element = ref(element_of(type));
            std::string name = "[" + element + "]";
            masked_[type] = name;
            types_.push_back({{"name", name}, {"meta-type", "array"}, {"element-type", element}});
            return name;
        }
        std::string name = next_name();
        masked_[type] = name;
        if (auto it = enums_.find(type); it != enums_.end()) {
            Json members = Json::array();
            for (const std::string& value : it->second.values) members.push_back({{"name", value}});
            types_.push_back({{"name", name}, {"meta-type", "enum"}, {"members", members},
                              {"values", it->second.values}});
        } else if (auto object = objects_.find(type); object != objects_.end()) {
            size_t slot = types_.size();
            types_.push_back(nullptr);  // reserve: members may reference further types
            types_[slot] = object_info(name, object->second.members);
        } else {
            types_.push_back({{"name", name}, {"meta-type", "builtin"}, {"json-type", "value"}});
        }
        return name;
    }

    // The implicit argument or data object of a command or event.
    std::string implicit(const std::vector<Member>& members) {
        if (members.empty()) return "0";
        std::string name = next_name();
        size_t slot = types_.size();
        types_.push_back(nullptr);
        types_[slot] = object_info(name, members);
        return name;
    }

    Json take_types() { return std::move(types_); }

private:
    std::string next_name() { return std::to_string(++counter_); }

    std::string builtin(const TypeName& type) {
        if (!builtins_seen_.count(type)) {
            builtins_seen_[type] = true;
            types_.push_back({{"name", type}, {"meta-type", "builtin"}, {"json-type", builtin_json_type(type)}});
        }
        return type;
    }

    Json object_info(const std::string& name, const std::vector<Member>& members) {
        Json list = Json::array();
        for (const Member& member : members) {
            Json entry = {{"name", member.name}};
            if (member.optional) entry["default"] = nullptr;
            entry["type"] = ref(member.type);
            list.push_back(std::move(entry));
        }
        return {{"name", name}, {"meta-type", "object"}, {"members", std::move(list)}};
    }

    const std::map<std::string, EnumDef>& enums_;
    const std::map<std::string, ObjectDef>& objects_;
    std::map<std::string, std::string> masked_;
    std::map<std::string, bool> builtins_seen_;
    Json types_ = Json::array();
    int counter_ = 0;
};

}  // namespace

Json Schema::introspect() const {
    Introspector introspector(enums_, objects_);
    Json entities = Json::array();
    for (const CommandDef& command : commands_) {
        Json info = {{"name", command.name}, {"meta-type", "command"}};
        info["arg-type"] = introspector.implicit(command.arguments);
        info["ret-type"] = introspector.ref(command.returns);
        if (command.allow_oob) info["allow-oob"] = true;
        entities.push_back(std::move(info));
    }
    for (const EventDef& event : events_) {
        entities.push_back({{"name", event.name}, {"meta-type", "event"},
                            {"arg-type", introspector.implicit(event.data)}});
    }
    // Declared types nobody references still belong to the schema.
    for (const std::string& type : type_order_) introspector.ref(type);
    for (Json& type : introspector.take_types()) entities.push_back(std::move(type));
    return entities;
}

}  // namespace mimic::monitor
