// Creating the monitors the command line asks for.
//
// -monitor DEV and -qmp/-qmp-pretty DEV take the legacy chardev shorthand
// ("stdio", "unix:/tmp/m.sock,server,nowait", "tcp::4444,server,nowait",
// "telnet:127.0.0.1:4444,server,nowait", "mon:stdio", "chardev:ID", "none");
// each gets a chardev "compat_monitorN" numbered in command-line order, as
// QEMU names them. -mon chardev=ID,mode=readline|control[,pretty=on] puts a
// monitor on a chardev made by -chardev.
//
// main() calls create_monitors() after the chardevs of -chardev exist and
// keeps the result alive until exit. (-serial mon:stdio and -nographic's
// default monitor belong to the serial setup: it makes a ChardevMonitor on
// the mux itself.)
#pragma once

#include "mimic/monitor/chardev_monitor.h"

#include <memory>
#include <vector>

namespace mimic::cli {
struct VmConfig;
}
namespace mimic::chardev {
class ChardevRegistry;
}

namespace mimic::monitor {

// Throws mimic::Error with QEMU's wording; `location` of the offending
// option is prefixed by the caller from the message context.
std::vector<std::unique_ptr<ChardevMonitor>> create_monitors(MonitorHub& hub, const cli::VmConfig& config,
                                                             chardev::ChardevRegistry& registry);

}  // namespace mimic::monitor
