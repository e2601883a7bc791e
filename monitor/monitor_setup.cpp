#include "mimic/monitor/monitor_setup.h"

#include "mimic/chardev/legacy.h"
#include "mimic/chardev/registry.h"
#include "mimic/cli/vm_config.h"
#include "mimic/util/error.h"

#include <fmt/format.h>

namespace mimic::monitor {

namespace {

// The chardev a legacy -monitor/-qmp spec names, created if need be; null
// for "none".
chardev::Chardev* legacy_chardev(const std::string& spec, const std::string& id, chardev::ChardevRegistry& registry) {
    chardev::LegacyChardev legacy = chardev::parse_legacy_chardev(spec, id);
    if (legacy.options) return &registry.create(*legacy.options);
    if (!legacy.existing_id.empty()) {
        chardev::Chardev* existing = registry.find(legacy.existing_id);
        if (!existing) throw Error("chardev \"{}\" not found", legacy.existing_id);
        return existing;
    }
    return nullptr;
}

}  // namespace

std::vector<std::unique_ptr<ChardevMonitor>> create_monitors(MonitorHub& hub, const cli::VmConfig& config,
                                                             chardev::ChardevRegistry& registry) {
    std::vector<std::unique_ptr<ChardevMonitor>> monitors;
    int compat_index = 0;
    auto add_legacy = [&](const cli::OptionUse& use, Monitor::Mode mode) {
        std::string spec = use.opts.get_or("spec", "");
        bool pretty = use.opts.get_bool("pretty").value_or(false);
        std::string id = fmt::format("compat_monitor{}", compat_index++);
        if (chardev::Chardev* chr = legacy_chardev(spec, id, registry)) {
            monitors.push_back(std::make_unique<ChardevMonitor>(hub, *chr, mode, pretty));
        }
    };
    for (const cli::OptionUse& use : config.monitors) add_legacy(use, Monitor::Mode::kReadline);
    for (const cli::OptionUse& use : config.qmps) add_legacy(use, Monitor::Mode::kControl);
    for (const cli::OptionUse& use : config.mons) {
        std::string id = use.opts.get_or("chardev", "");
        chardev::Chardev* chr = registry.find(id);
        if (!chr) throw Error("chardev \"{}\" not found", id);
        Monitor::Mode mode = use.opts.get_or("mode", "readline") == "control" ? Monitor::Mode::kControl
                                                                             : Monitor::Mode::kReadline;
        bool pretty = use.opts.get_bool("pretty").value_or(false);
        monitors.push_back(std::make_unique<ChardevMonitor>(hub, *chr, mode, pretty));
    }
    return monitors;
}

}  // namespace mimic::monitor
