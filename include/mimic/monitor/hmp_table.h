// HMP's command table: names, argument syntax, help text and handlers.
//
// Declared like the QMP schema, once per command; the line parser, `help`,
// `info` and tab completion all read this table. Most HMP handlers are thin
// formatters: they run the QMP command through MonitorHub::execute() and
// print the result in QEMU's text layout.
//
//   hub.hmp().add_command({
//       .names = "eject",
//       .params = "[-f] device",
//       .help = "eject a removable medium (use -f to force it)",
//       .args = {{"force", HmpArgKind::kFlag, kOptional, 'f'}, {"device", HmpArgKind::kString}},
//       .handler = [](const Json& args, HmpContext& ctx) { ... ctx.print("..."); },
//   });
#pragma once

#include "mimic/monitor/json.h"
#include "mimic/monitor/schema.h"

#include <fmt/format.h>

#include <functional>
#include <string>
#include <string_view>
#include <vector>

namespace mimic::monitor {

enum class HmpArgKind {
    kString,      // a word, or a "quoted string" with \n \r \t \\ \" \' escapes
    kRestOfLine,  // everything to the end of the line
    kInteger,     // an expression: numbers (0x.., 0.., decimal, 'c'), $register,
                  // + - * / % & | ^ ~ and parentheses, evaluated in 64 bits
    kSize,        // a size with optional K/M/G/T suffix (bytes)
    kBool,        // on | off
    kFormat,      // /FMT as x, xp and print take it: [count][format][unit]
    kFlag,        // a -c switch (c = `flag`), given before the positional arguments
};

struct HmpArg {
    std::string name;
    HmpArgKind kind;
    bool optional = false;
    char flag = 0;  // the switch letter of a kFlag
};

// Per-session state that outlives a single command.
struct HmpSession {
    int cpu = 0;                       // the CPU `cpu N` selected
    char format = 'x';                 // /FMT defaults carried from the last use
    int unit_size = 4;
    std::vector<std::string> history;  // lines entered, oldest first
};

// What an HMP handler gets besides its arguments.
class HmpContext {
public:
    HmpContext(MonitorHub& hub, Monitor* monitor, HmpSession& session)
        : hub(hub), monitor(monitor), session(session) {}

    template <typename... Args>
    void print(fmt::format_string<Args...> format, Args&&... args) {
        output += fmt::format(format, std::forward<Args>(args)...);
    }
    void print_text(std::string_view text) { output += text; }

    // For output too large to build as one string (x/xp with a large
    // count): `next` appends the following piece to its argument and
    // returns false once nothing remains. A monitor writes each piece as it
    // comes, one per turn of the main loop, and takes no new command until
    // the last; human-monitor-command collects them up to a bound.
    using OutputSource = std::function<bool(std::string& out)>;
    void stream(OutputSource next) { more_output = std::move(next); }

    // Asks the user for a password on the next line ("Password: ", echoed
    // as stars), then calls `handler` with it and a fresh context. Only an
    // interactive monitor can; human-monitor-command says so.
    using PasswordHandler = std::function<void(const std::string& password, HmpContext& context)>;
    void read_password(PasswordHandler handler) { password_request = std::move(handler); }

    MonitorHub& hub;
    Monitor* monitor;
    HmpSession& session;
    std::string output;
    OutputSource more_output;
    PasswordHandler password_request;
};

using HmpHandler = std::function<void(const Json& arguments, HmpContext& context)>;

struct HmpCommandDef {
    std::string names;   // "c|cont": the first is the name help prints first
    std::string params;  // the argument synopsis help prints: "/fmt addr"
    std::string help;
    std::vector<HmpArg> args = {};
    HmpHandler handler = {};
};

class HmpTable {
public:
    // Re-adding a name replaces the earlier entry.
    void add_command(HmpCommandDef def);
    // `info NAME` subcommands.
    void add_info(HmpCommandDef def);

    const HmpCommandDef* find_command(std::string_view name) const;
    const HmpCommandDef* find_info(std::string_view name) const;
    const std::vector<HmpCommandDef>& commands() const { return commands_; }
    const std::vector<HmpCommandDef>& infos() const { return infos_; }

    // `help` / `help NAME` / `info` output, sorted by name like QEMU's.
    std::string help_text(std::string_view name = {}) const;
    std::string info_help_text() const;

    // Names (every alias) starting with `prefix`, for tab completion.
    std::vector<std::string> complete_command(std::string_view prefix) const;
    std::vector<std::string> complete_info(std::string_view prefix) const;

private:
    std::vector<HmpCommandDef> commands_;
    std::vector<HmpCommandDef> infos_;
};

// Does `names` ("c|cont") contain `name`?
bool hmp_name_matches(std::string_view names, std::string_view name);

}  // namespace mimic::monitor
