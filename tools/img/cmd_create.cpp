#include "common.h"

#include "mimic/util/size.h"

#include <getopt.h>

#include <cstdio>

namespace mimic::img {

int cmd_create(int argc, char** argv) {
    block::CreateRequest request;
    bool quiet = false;
    optind = 1;
    int c;
    static const option kLong[] = {{"help", no_argument, nullptr, 'h'}, {nullptr, 0, nullptr, 0}};
    while ((c = getopt_long(argc, argv, "F:b:f:ho:qu", kLong, nullptr)) != -1) {
        switch (c) {
        case 'F': request.backing_format = optarg; break;
        case 'b': request.backing_file = optarg; break;
        case 'f': request.format = optarg; break;
        case 'o': parse_create_options(optarg, request.options); break;
        case 'q': quiet = true; break;
        case 'u': request.unsafe = true; break;
        default: bad_option(argv);
        }
    }
    for (const auto& [k, v] : request.options) {
        if (k == "help") {
            std::printf("%s\nThe protocol level may support further options.\n"
                        "Specify the target filename to include those options.\n",
                        block::create_options_help(request.format).c_str());
            return 0;
        }
    }
    if (!block::is_supported_format(request.format))
        throw Error("Unknown file format '{}'", request.format);
    if (optind >= argc) missing_filename();
    request.filename = argv[optind++];
    if (optind < argc) {
        std::string text = argv[optind++];
        auto size = parse_size(text);
        if (!size || text.empty() || text[0] == '-') {
            throw Error("Invalid image size specified. You may use k, M, G, T, P or E suffixes for\n"
                        "mimic-img: kilobytes, megabytes, gigabytes, terabytes, petabytes and exabytes.");
        }
        request.size = *size;
        request.size_given = true;
    }
    if (optind != argc) throw Error("Unexpected argument: {}", argv[optind]);

    // The line is printed before creating, as qemu-img does, so we compute
    // it by creating and print it right after; the text is identical.
    std::string line = block::create_image(request);
    if (!quiet) std::printf("Formatting '%s', %s\n", request.filename.c_str(), line.c_str());
    return 0;
}

}  // namespace mimic::img
