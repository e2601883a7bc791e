// mimic-img: QEMU's qemu-img for Mimic's block layer, with the same
// subcommands, options, output and exit codes.
#include "common.h"

#include <cstdio>
#include <cstring>
#include <string>

using namespace mimic;

namespace {

struct Command {
    const char* name;
    int (*run)(int, char**);
    const char* synopsis;
};

const Command kCommands[] = {
    {"amend", img::cmd_amend, "amend [-f fmt] -o options filename"},
    {"bench", img::cmd_bench, "bench [-c count] [-d depth] [-f fmt] [-n] [-o offset] [-s buffer_size] [-S step_size] [-t cache] [-w] [-U] filename"},
    {"check", img::cmd_check, "check [-f fmt] [--output=ofmt] [-r [leaks | all]] [-U] filename"},
    {"commit", img::cmd_commit, "commit [-f fmt] [-t cache] [-b base] [-d] [-p] filename"},
    {"compare", img::cmd_compare, "compare [-f fmt] [-F fmt] [-p] [-q] [-s] [-U] filename1 filename2"},
    {"convert", img::cmd_convert, "convert [-c] [-p] [-q] [-n] [-f fmt] [-t cache] [-T src_cache] [-O output_fmt] [-B backing_file] [-o options] [-S sparse_size] [-m num_coroutines] [-W] filename [filename2 [...]] output_filename"},
    {"create", img::cmd_create, "create [-q] [-f fmt] [-b backing_file -F backing_fmt] [-u] [-o options] filename [size]"},
    {"dd", img::cmd_dd, "dd [-f fmt] [-O output_fmt] [bs=block_size] [count=blocks] [skip=blocks] if=input of=output"},
    {"info", img::cmd_info, "info [-f fmt] [--output=ofmt] [--backing-chain] [-U] filename"},
    {"map", img::cmd_map, "map [-f fmt] [--output=ofmt] [-U] filename"},
    {"measure", img::cmd_measure, "measure [--output=ofmt] [-O output_fmt] [-o options] [--size N | [-f fmt] filename]"},
    {"snapshot", img::cmd_snapshot, "snapshot [-l | -a snapshot | -c snapshot | -d snapshot] [-U] filename"},
    {"rebase", img::cmd_rebase, "rebase [-f fmt] [-t cache] [-T src_cache] [-p] [-u] [-U] -b backing_file [-F backing_fmt] filename"},
    {"resize", img::cmd_resize, "resize [-f fmt] [--preallocation=prealloc] [--shrink] [-U] filename [+ | -]size"},
};

void help() {
    std::printf("mimic-img version 0.1.0, image utility compatible with qemu-img\n"
                "usage: mimic-img [standard options] command [command options]\n\n"
                "Command syntax:\n");
    for (const auto& c : kCommands) std::printf("  %s\n", c.synopsis);
    std::printf("\nSupported formats: qcow2 raw\n");
}

}  // namespace

int main(int argc, char** argv) {
    if (argc < 2) {
        std::fprintf(stderr, "mimic-img: Not enough arguments\nTry 'mimic-img --help' for more information\n");
        return 1;
    }
    std::string name = argv[1];
    if (name == "-h" || name == "--help") {
        help();
        return 0;
    }
    if (name == "-V" || name == "--version") {
        std::printf("mimic-img version 0.1.0\n");
        return 0;
    }
    for (const auto& c : kCommands) {
        if (name != c.name) continue;
        try {
            return c.run(argc - 1, argv + 1);
        } catch (const Error& e) {
            std::fflush(stdout);
            std::fprintf(stderr, "mimic-img: %s\n", e.what());
            return 1;
        }
    }
    std::fprintf(stderr, "mimic-img: Command not found: %s\n", name.c_str());
    return 1;
}
