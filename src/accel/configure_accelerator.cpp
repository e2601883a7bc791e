// QEMU 7.2's configure_accelerators(): the candidates in order, the first
// that initialises wins; each failure is reported, and a fallback says so.
#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

#include "mimic/accel/accel_registry.h"
#include "mimic/cli/command_line.h"
#include "mimic/cli/vm_config.h"

namespace mimic::accel {
namespace {

struct Candidate {
    std::string location;   // "-accel kvm" for -accel; none for -machine accel= and -enable-kvm
    cli::Opts options;
};

void report(const std::string& location, const std::string& message) {
    if (location.empty()) {
        std::fprintf(stderr, "%s: %s\n", cli::kProgramName, message.c_str());
    } else {
        std::fprintf(stderr, "%s: %s: %s\n", cli::kProgramName, location.c_str(), message.c_str());
    }
}

}  // namespace

std::unique_ptr<Accelerator> configure_accelerator(const cli::VmConfig& config) {
    std::vector<Candidate> candidates;
    bool init_failed = false;
    std::optional<std::string> machine_accel = config.machine.opts.get("accel");
    if (!config.accels.empty()) {
        if (machine_accel) throw Error("The -accel and \"-machine accel=\" options are incompatible");
        for (const cli::OptionUse& use : config.accels) {
            // -enable-kvm has no text of its own to point at.
            std::string location = use.location == "-enable-kvm" ? std::string() : use.location;
            candidates.push_back({location, use.opts});
        }
    } else {
        std::string list = machine_accel.value_or(config.qtest ? "qtest" : "tcg");
        size_t start = 0;
        // As g_strsplit(): an empty list names no accelerator at all.
        while (!list.empty()) {
            size_t colon = list.find(':', start);
            std::string name = list.substr(start, colon == std::string::npos ? std::string::npos : colon - start);
            if (find_accel_type(name)) {
                candidates.push_back({"", cli::parse_opts(name, "accel")});
            } else {
                init_failed = true;
                report("", "invalid accelerator " + name);
            }
            if (colon == std::string::npos) break;
            start = colon + 1;
        }
    }
    for (const Candidate& candidate : candidates) {
        std::string name = candidate.options.get_or("accel", "");
        const AccelType* type = find_accel_type(name);
        if (!type) {
            report(candidate.location, "invalid accelerator " + name);
            init_failed = true;
            continue;
        }
        std::unique_ptr<Accelerator> accel;
        try {
            accel = type->create({candidate.options, config, candidate.location});
        } catch (const AccelInitError& e) {
            report(candidate.location, "failed to initialize " + name + ": " + errno_string(e.error_number()));
            init_failed = true;
            continue;
        } catch (const Error& e) {
            if (candidate.location.empty()) throw;
            throw Error("{}: {}", candidate.location, e.what());
        }
        if (init_failed && !config.qtest) report("", "falling back to " + std::string(type->name));
        return accel;
    }
    if (!init_failed) report("", "no accelerator found");
    throw ReportedError();
}

}  // namespace mimic::accel
