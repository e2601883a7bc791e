// The virtual machine as the command line describes it: builds the machine,
// its back ends and front ends, runs the main loop, and tears it all down.
#pragma once

#include <memory>

#include "mimic/cli/vm_config.h"

namespace mimic::system {

class Vm {
public:
    // Builds everything; throws mimic::Error with the offending option in
    // the message. Nothing runs until run().
    explicit Vm(const cli::VmConfig& config);
    ~Vm();

    // Runs until the VM shuts down; returns the process exit status.
    int run();

    // For a program that drives the VM itself instead of run() (the
    // in-process device fuzzer): start() does what run() does first (starts
    // the VM unless -S), poll() runs one main-loop iteration without
    // sleeping and then the reset, stop and shutdown requests raised
    // meanwhile, and returns false once the VM asked to end.
    void start();
    bool poll();
    // What QMP system_reset does, carried out at once.
    void system_reset();

private:
    class Impl;
    std::unique_ptr<Impl> impl_;
};

}  // namespace mimic::system
