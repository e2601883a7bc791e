#include "mimic/cli/smp_config.h"

#include <gtest/gtest.h>

#include "mimic/util/error.h"

using mimic::cli::parse_opts;
using mimic::cli::resolve_smp;
using mimic::cli::SmpConfig;

namespace {

SmpConfig smp(const char* text) { return resolve_smp(parse_opts(text, "cpus")); }

std::string smp_error(const char* text) {
    try {
        smp(text);
    } catch (const mimic::Error& e) {
        return e.what();
    }
    return "(no error)";
}

}  // namespace

TEST(Smp, CountAlonePrefersCores) {
    SmpConfig config = smp("4");
    EXPECT_EQ(config.cpus, 4u);
    EXPECT_EQ(config.sockets, 1u);
    EXPECT_EQ(config.cores, 4u);
    EXPECT_EQ(config.threads, 1u);
    EXPECT_EQ(config.max_cpus, 4u);
}

TEST(Smp, ExplicitTopology) {
    SmpConfig config = smp("4,sockets=2,cores=2");
    EXPECT_EQ(config.sockets, 2u);
    EXPECT_EQ(config.cores, 2u);
    EXPECT_EQ(config.threads, 1u);
    EXPECT_EQ(config.cpus, 4u);
}

TEST(Smp, CountDerivedFromTopology) {
    SmpConfig config = smp("sockets=2,cores=2,threads=2");
    EXPECT_EQ(config.cpus, 8u);
    EXPECT_EQ(config.max_cpus, 8u);
}

TEST(Smp, SocketsDerivedWhenCoresGiven) {
    SmpConfig config = smp("8,cores=2");
    EXPECT_EQ(config.sockets, 4u);
}

TEST(Smp, MaxCpus) {
    SmpConfig config = smp("2,maxcpus=4");
    EXPECT_EQ(config.cpus, 2u);
    EXPECT_EQ(config.max_cpus, 4u);
    EXPECT_EQ(config.cores, 4u);
}

TEST(Smp, Errors) {
    EXPECT_EQ(smp_error("0"),
              "Invalid CPU topology: CPU topology parameters must be greater than zero");
    EXPECT_EQ(smp_error("4,sockets=0"),
              "Invalid CPU topology: CPU topology parameters must be greater than zero");
    EXPECT_EQ(smp_error("5,sockets=2,cores=2"),
              "Invalid CPU topology: product of the hierarchy must match maxcpus: "
              "sockets (2) * dies (1) * cores (2) * threads (1) != maxcpus (5)");
    EXPECT_EQ(smp_error("4,maxcpus=2"),
              "Invalid CPU topology: maxcpus must be equal to or greater than smp: "
              "sockets (1) * dies (1) * cores (2) * threads (1) == maxcpus (2) < smp_cpus (4)");
    EXPECT_EQ(smp_error("300"),
              "Invalid SMP CPUs 300. The max CPUs supported by machine 'pc-i440fx-7.2' is 255");
    EXPECT_EQ(smp_error("four"), "Parameter 'cpus' expects a number");
    EXPECT_EQ(smp_error("4,bogus=1"), "Invalid parameter 'bogus'");
}
