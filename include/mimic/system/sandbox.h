// -sandbox: a seccomp filter over the whole process, as QEMU 7.2's.
//
// The filter denies groups of system calls the emulator never needs once it
// runs; each sub-option of -sandbox adds or removes a group. A denied call
// kills the process (SIGSYS), except where QEMU answers with an error
// instead: resource control (EPERM) and clone3 (ENOSYS, so that the C
// library falls back to clone, whose flags the filter can check).
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "mimic/cli/opts.h"

namespace mimic::system {

// Groups of system calls, QEMU's sets.
enum SandboxSet : uint32_t {
    kSandboxDefault = 1 << 0,          // reboot, mount, kexec_load, syslog, ...
    kSandboxObsolete = 1 << 1,         // obsolete=deny (on by default)
    kSandboxPrivileged = 1 << 2,       // elevateprivileges=deny|children: set*uid/gid, setsid
    kSandboxSpawn = 1 << 3,            // spawn=deny: fork, exec, clone other than threads
    kSandboxResourceControl = 1 << 4,  // resourcecontrol=deny: priority and affinity
};

struct SandboxPolicy {
    uint32_t denied_sets = kSandboxDefault | kSandboxObsolete;
    // elevateprivileges=children: no set-uid gains across exec either.
    bool no_new_privs = false;
};

// One -sandbox option's settings; nullopt when it leaves the sandbox off.
// Throws mimic::Error with QEMU's wording ("invalid argument for spawn").
std::optional<SandboxPolicy> parse_sandbox(const cli::Opts& opts);

// Loads the filter into the kernel for every thread of the process. It
// cannot be removed again. Throws mimic::Error.
void install_sandbox(const SandboxPolicy& policy);

// The BPF program install_sandbox() would load, as raw sock_filter
// instructions: for tests that compare it with QEMU's.
std::string sandbox_bpf(const SandboxPolicy& policy);

}  // namespace mimic::system
