// A machine-less host for the monitor: the main loop plus monitors on the
// chardevs given on the command line, so integration tests can drive QMP and
// HMP through real sockets and real clients (socat, nc, Python) without a
// guest. The run state is the real RunControl, so stop/cont/system_reset/
// system_powerdown/quit and their events behave as in the emulator.
//
//   monitor_host [-S] [-name NAME] [-chardev OPTS] [-mon OPTS]
//                [-monitor SPEC] [-qmp SPEC] [-qmp-pretty SPEC]
#include "mimic/chardev/options.h"
#include "mimic/chardev/registry.h"
#include "mimic/cli/vm_config.h"
#include "mimic/main_loop/main_loop.h"
#include "mimic/monitor/monitor_hub.h"
#include "mimic/monitor/monitor_setup.h"
#include "mimic/system/runstate.h"
#include "mimic/util/error.h"

#include <cstdio>
#include <string>

int main(int argc, char** argv) {
    using namespace mimic;
    system::RunControl run;
    run.set_wakeup_hook([] { main_loop_wakeup(); });
    monitor::MonitorHub hub(run);
    chardev::ChardevRegistry& registry = chardev::ChardevRegistry::global();
    cli::VmConfig config;
    bool start_paused = false;
    try {
        for (int i = 1; i < argc; ++i) {
            std::string option = argv[i];
            if (option == "-S") {
                start_paused = true;
                continue;
            }
            if (i + 1 >= argc) throw Error("{}: requires an argument", option);
            std::string value = argv[++i];
            cli::Opts opts;
            opts.set("spec", value);
            if (option == "-name") {
                hub.set_name(value);
            } else if (option == "-chardev") {
                registry.create(chardev::parse_chardev_string(value));
            } else if (option == "-mon") {
                config.mons.push_back({option + " " + value, cli::parse_opts(value, "chardev")});
            } else if (option == "-monitor") {
                config.monitors.push_back({option + " " + value, opts});
            } else if (option == "-qmp" || option == "-qmp-pretty") {
                if (option == "-qmp-pretty") opts.set("pretty", "on");
                config.qmps.push_back({option + " " + value, opts});
            } else {
                throw Error("{}: invalid option", option);
            }
        }
        auto monitors = monitor::create_monitors(hub, config, registry);
        if (!start_paused) run.start();
        std::fflush(stdout);
        main_loop_run([&] { return run.process_requests(); });
        monitors.clear();
        registry.clear();
    } catch (const Error& e) {
        std::fprintf(stderr, "monitor_host: %s\n", e.what());
        return 1;
    }
    return 0;
}
