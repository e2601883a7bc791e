// The accelerators this binary has, by name, and how the command line picks
// one: -accel NAME (repeatable: tried in order), -machine accel=A:B,
// -enable-kvm, or the default (tcg; qtest with -qtest), as QEMU 7.2 does.
#pragma once

#include <memory>
#include <span>
#include <string>
#include <string_view>

#include "mimic/accel/accelerator.h"
#include "mimic/util/error.h"

namespace mimic::cli {
class Opts;
struct VmConfig;
}  // namespace mimic::cli

namespace mimic::accel {

// The host cannot give what an accelerator needs (no /dev/kvm, ...): the
// next one asked for is tried. `error_number` is the errno QEMU reports in
// "failed to initialize kvm: <strerror>".
class AccelInitError : public Error {
public:
    explicit AccelInitError(int error_number) : Error("accelerator initialisation failed"), error_number_(error_number) {}
    int error_number() const { return error_number_; }

private:
    int error_number_;
};

// What the command line gives an accelerator to create it with.
struct AccelOptions {
    const cli::Opts& options;       // -accel NAME,PROP=VALUE,...
    const cli::VmConfig& config;
    const std::string& location;    // "-accel kvm" for its warnings; "" when implied
};

struct AccelType {
    std::string_view name;
    bool listed;   // in -accel help (qtest is not, as in QEMU)
    // Checks the options (mimic::Error: fatal) and opens what the host must
    // provide (AccelInitError: try the next one).
    std::unique_ptr<Accelerator> (*create)(const AccelOptions& options);
};

std::span<const AccelType> accel_types();
const AccelType* find_accel_type(std::string_view name);

// Creates the accelerator the command line asks for, printing QEMU's
// messages for the ones that failed ("failed to initialize kvm: ...",
// "falling back to tcg"). Throws mimic::Error when none could be created.
std::unique_ptr<Accelerator> configure_accelerator(const cli::VmConfig& config);

}  // namespace mimic::accel
