// The QMP schema: commands, events and the types they use, declared once.
//
// Like QEMU's QAPI, a declaration carries everything the monitor needs:
// argument checking with QEMU's error texts, query-commands, query-events and
// query-qmp-schema all follow from it, and a handler only ever sees
// arguments that already match the declaration.
//
// A subsystem adds its commands at start-up:
//
//   hub.schema().add_command({
//       .name = "eject",
//       .arguments = {{"id", "str"}, {"force", "bool", kOptional}},
//       .doc = "Ejects the medium of a removable drive.",
//       .handler = [](const Json& args, CommandContext& ctx) -> Json { ...; return Json::object(); },
//   });
#pragma once

#include "mimic/monitor/json.h"

#include <functional>
#include <map>
#include <string>
#include <vector>

namespace mimic::monitor {

class MonitorHub;
class Monitor;

// A type reference: a builtin ("str", "int", "int8".."int64", "uint8".."uint64",
// "size", "number", "bool", "null", "any"), a declared enum or object, or an
// array of one of those, written "[name]".
using TypeName = std::string;

inline constexpr bool kOptional = true;

struct Member {
    std::string name;
    TypeName type;
    bool optional = false;
    std::string doc = {};
};

struct EnumDef {
    std::string name;
    std::vector<std::string> values;
    std::string doc = {};
};

struct ObjectDef {
    std::string name;
    std::vector<Member> members;
    std::string doc = {};
};

// What a handler gets besides its arguments.
struct CommandContext {
    MonitorHub& hub;
    Monitor* monitor;  // the monitor the command came from; null for internal calls
};

using CommandHandler = std::function<Json(const Json& arguments, CommandContext& context)>;

struct CommandDef {
    std::string name;
    std::vector<Member> arguments = {};
    TypeName returns = {};  // empty: the command returns {}
    std::string doc = {};
    CommandHandler handler = {};
    bool allow_oob = false;
    // Members beyond the declared ones are passed through unchecked, for
    // commands like device_add whose arguments are another object's properties.
    bool extra_arguments = false;
};

struct EventDef {
    std::string name;
    std::vector<Member> data = {};
    std::string doc = {};
};

class Schema {
public:
    // Adding a name twice replaces the earlier declaration, so a subsystem can
    // take over a command the monitor declared as "not supported yet".
    void add_enum(EnumDef def);
    void add_object(ObjectDef def);
    void add_command(CommandDef def);
    void add_event(EventDef def);

    const CommandDef* find_command(const std::string& name) const;
    const EventDef* find_event(const std::string& name) const;
    const std::vector<CommandDef>& commands() const { return commands_; }
    const std::vector<EventDef>& events() const { return events_; }

    // Throws QmpError (GenericError) with QEMU's text when `arguments` does
    // not match the declaration: "Parameter 'x' is missing", "Invalid
    // parameter type for 'x', expected: integer", "Parameter 'x' is
    // unexpected", "Parameter 'x' does not accept value 'y'".
    void check_arguments(const CommandDef& command, const Json& arguments) const;
    void check_event_data(const EventDef& event, const Json& data) const;

    // query-qmp-schema's answer: a list of SchemaInfo in QEMU's layout, with
    // type names masked as numbers the way QEMU does (commands and events
    // keep their names; builtins keep theirs).
    Json introspect() const;

private:
    void check_members(const std::vector<Member>& members, const Json& object, const std::string& prefix,
                       bool allow_extra = false) const;
    void check_value(const TypeName& type, const Json& value, const std::string& path) const;

    std::vector<CommandDef> commands_;
    std::vector<EventDef> events_;
    std::map<std::string, EnumDef> enums_;
    std::map<std::string, ObjectDef> objects_;
    std::vector<std::string> type_order_;  // declaration order, for introspection
};

}  // namespace mimic::monitor
