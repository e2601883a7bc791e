// mimic-system-x86_64: parse the command line, build the VM, run it.
#include <cstdio>

#include "mimic/cli/command_line.h"
#include "mimic/system/help.h"
#include "mimic/system/vm.h"
#include "mimic/util/error.h"

int main(int argc, char** argv) {
    using namespace mimic;
    try {
        cli::ParseOutcome outcome = cli::parse_command_line(argc, argv);
        if (outcome.exit_now) return 0;
        if (outcome.help) {
            system::print_help(*outcome.help, stdout);
            return 0;
        }
        system::Vm vm(outcome.config);
        return vm.run();
    } catch (const ReportedError&) {
        return 1;
    } catch (const Error& e) {
        std::fprintf(stderr, "%s: %s\n", cli::kProgramName, e.what());
        return 1;
    }
}
