#include "mimic/cli/smp_config.h"

#include "mimic/util/error.h"

namespace mimic::cli {

namespace {

const OptDesc kSmpDescs[] = {
    {"cpus", OptType::kNumber, "number of virtual CPUs"},
    {"maxcpus", OptType::kNumber, "maximum number of CPUs"},
    {"sockets", OptType::kNumber, "number of sockets"},
    {"dies", OptType::kNumber, "number of dies per socket"},
    {"cores", OptType::kNumber, "number of cores per die"},
    {"threads", OptType::kNumber, "number of threads per core"},
};

// 0 means "not given"; an explicit 0 is rejected before this is used.
unsigned value_of(const Opts& opts, const char* key) {
    auto value = opts.get_number(key);
    if (value && *value > 0xFFFFFFFFull) throw Error("Parameter '{}' expects a number", key);
    return value ? static_cast<unsigned>(*value) : 0;
}

}  // namespace

SmpConfig resolve_smp(const Opts& opts, unsigned machine_max_cpus,
                      const std::string& machine_name) {
    validate(opts, kSmpDescs);
    for (const OptDesc& desc : kSmpDescs) {
        if (opts.has(desc.name) && opts.get_number(desc.name) == 0u)
            throw Error("Invalid CPU topology: CPU topology parameters must be greater than zero");
    }
    unsigned cpus = value_of(opts, "cpus");
    unsigned max_cpus = value_of(opts, "maxcpus");
    unsigned sockets = value_of(opts, "sockets");
    unsigned dies = value_of(opts, "dies");
    unsigned cores = value_of(opts, "cores");
    unsigned threads = value_of(opts, "threads");
    if (dies == 0) dies = 1;

    if (cpus == 0 && max_cpus == 0) {
        sockets = sockets ? sockets : 1;
        cores = cores ? cores : 1;
        threads = threads ? threads : 1;
    } else {
        max_cpus = max_cpus ? max_cpus : cpus;
        if (cores == 0) {
            sockets = sockets ? sockets : 1;
            threads = threads ? threads : 1;
            cores = max_cpus / (sockets * dies * threads);
        } else if (sockets == 0) {
            threads = threads ? threads : 1;
            sockets = max_cpus / (dies * cores * threads);
        }
        if (threads == 0) threads = max_cpus / (sockets * dies * cores);
    }
    unsigned long long product = 1ull * sockets * dies * cores * threads;
    max_cpus = max_cpus ? max_cpus : static_cast<unsigned>(product);
    cpus = cpus ? cpus : max_cpus;

    if (product != max_cpus) {
        throw Error(
            "Invalid CPU topology: product of the hierarchy must match maxcpus: "
            "sockets ({}) * dies ({}) * cores ({}) * threads ({}) != maxcpus ({})",
            sockets, dies, cores, threads, max_cpus);
    }
    if (max_cpus < cpus) {
        throw Error(
            "Invalid CPU topology: maxcpus must be equal to or greater than smp: "
            "sockets ({}) * dies ({}) * cores ({}) * threads ({}) == maxcpus ({}) < smp_cpus ({})",
            sockets, dies, cores, threads, max_cpus, cpus);
    }
    if (cpus > machine_max_cpus) {
        throw Error("Invalid SMP CPUs {}. The max CPUs supported by machine '{}' is {}", cpus,
                    machine_name, machine_max_cpus);
    }
    if (max_cpus > machine_max_cpus) {
        throw Error("Invalid SMP maxcpus {}. The max CPUs supported by machine '{}' is {}",
                    max_cpus, machine_name, machine_max_cpus);
    }
    return SmpConfig{cpus, sockets, dies, cores, threads, max_cpus};
}

}  // namespace mimic::cli
