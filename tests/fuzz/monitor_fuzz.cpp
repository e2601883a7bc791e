// libFuzzer target: arbitrary bytes into a QMP or an HMP monitor session.
//
// The first byte picks the front end: odd for QMP (the session is already
// negotiated, so the input reaches the dispatcher), even for HMP (readline,
// the command parser and the expression evaluator). The rest is what a
// client would send, fed in two chunks split where the second byte says, so
// the stream splitters see a boundary. Each input gets a fresh monitor on a
// hub shared by all inputs, with a small fake CPU and guest memory, so x,
// xp, print $reg and info registers have something to work on; no VM runs.
//
// Seeds are text: "q{...}" for QMP, "hp 1+2\n" for HMP (tests/fuzz/corpus/monitor).
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "../unit/monitor/monitor_fixture.h"
#include "mimic/monitor/monitor.h"
#include "mimic/monitor/monitor_hub.h"
#include "mimic/monitor/schema.h"
#include "mimic/monitor/hmp_table.h"
#include "mimic/system/runstate.h"
#include "mimic/util/log.h"

namespace {

using namespace mimic::monitor;

// memsave, pmemsave and logfile write host files named by the input: they
// still run, into /dev/null.
void keep_files_off_the_disk(MonitorHub& hub) {
    for (const char* name : {"memsave", "pmemsave"}) {
        const CommandDef* original = hub.schema().find_command(name);
        if (!original) continue;
        CommandDef def = *original;
        def.handler = [handler = original->handler](const Json& args, CommandContext& ctx) -> Json {
            Json redirected = args;
            redirected["filename"] = "/dev/null";
            return handler(redirected, ctx);
        };
        hub.schema().add_command(std::move(def));
    }
    if (const HmpCommandDef* original = hub.hmp().find_command("logfile")) {
        HmpCommandDef def = *original;
        def.handler = [handler = original->handler](const Json& args, HmpContext& ctx) {
            Json redirected = args;
            redirected["filename"] = "/dev/null";
            handler(redirected, ctx);
        };
        hub.hmp().add_command(std::move(def));
    }
}

// One hub for all inputs: building its command tables is most of the cost
// of a small input. What a command changes in it (the run state, the log
// mask) stays for the next input, as it would for the next client.
struct Hub {
    mimic::system::RunControl run;
    MonitorHub hub{run};
    testing::FakeCpu cpu;
    testing::FakeMemory memory;

    Hub() {
        hub.providers().cpu = &cpu;
        hub.providers().memory = &memory;
        keep_files_off_the_disk(hub);
    }
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    if (size < 2) return 0;
    static Hub* const shared = new Hub;
    const bool qmp = data[0] & 1;
    std::string_view input(reinterpret_cast<const char*>(data) + 1, size - 1);
    const size_t split = data[1] % input.size();

    mimic::log::set_mask(0);  // "log" commands of earlier inputs
    auto monitor = Monitor::create(shared->hub, qmp ? Monitor::Mode::kControl : Monitor::Mode::kReadline, data[0] & 2,
                                   [](std::string_view) {});
    monitor->open();
    if (qmp) monitor->receive(R"({"execute": "qmp_capabilities"})");
    monitor->receive(input.substr(0, split));
    monitor->receive(input.substr(split));
    monitor->close();
    return 0;
}
