#include "common.h"
#include "qjson.h"

#include <getopt.h>
#include <nlohmann/json.hpp>

#include <cstdio>

namespace mimic::img {
namespace {

// qemu-img's exit codes for check.
constexpr int kCheckOk = 0;
constexpr int kCheckInternal = 1;
constexpr int kCheckCorrupt = 2;
constexpr int kCheckLeaks = 3;
constexpr int kCheckUnsupported = 63;

void print_human(const block::CheckResult& r) {
    if (r.corruptions == 0 && r.leaks == 0 && r.check_errors == 0) {
        std::printf("No errors were found on the image.\n");
    } else {
        if (r.corruptions)
            std::printf("\n%d errors were found on the image.\n"
                        "Data may be corrupted, or further writes to the image may corrupt it.\n", r.corruptions);
        if (r.leaks)
            std::printf("\n%d leaked clusters were found on the image.\n"
                        "This means waste of disk space, but no harm to data.\n", r.leaks);
        if (r.check_errors)
            std::printf("\n%d internal errors have occurred during the check.\n", r.check_errors);
    }
    // Like qemu-img, no statistics for an image without allocated clusters.
    if (r.total_clusters != 0 && r.allocated_clusters != 0 && r.has_stats) {
        double alloc = r.total_clusters ? 100.0 * r.allocated_clusters / r.total_clusters : 0;
        double frag = r.allocated_clusters ? 100.0 * r.fragmented_clusters / r.allocated_clusters : 0;
        double comp = r.allocated_clusters ? 100.0 * r.compressed_clusters / r.allocated_clusters : 0;
        std::printf("%llu/%llu = %0.2f%% allocated, %0.2f%% fragmented, %0.2f%% compressed clusters\n",
                    static_cast<unsigned long long>(r.allocated_clusters),
                    static_cast<unsigned long long>(r.total_clusters), alloc, frag, comp);
    }
    if (r.image_end_offset > 0)
        std::printf("Image end offset: %llu\n", static_cast<unsigned long long>(r.image_end_offset));
}

}  // namespace

int cmd_check(int argc, char** argv) {
    OpenRequest request;
    std::string output = "human";
    block::CheckFix fix = block::CheckFix::kNone;
    bool quiet = false;
    optind = 1;
    enum { kOutput = 256 };
    static const option kLong[] = {{"help", no_argument, nullptr, 'h'},
                                   {"format", required_argument, nullptr, 'f'},
                                   {"repair", required_argument, nullptr, 'r'},
                                   {"output", required_argument, nullptr, kOutput},
                                   {"force-share", no_argument, nullptr, 'U'},
                                   {nullptr, 0, nullptr, 0}};
    int c;
    while ((c = getopt_long(argc, argv, "hf:r:T:qU", kLong, nullptr)) != -1) {
        switch (c) {
        case 'f': request.format = optarg; break;
        case 'r':
            if (std::string(optarg) == "leaks") fix = block::CheckFix::kLeaks;
            else if (std::string(optarg) == "all") fix = block::CheckFix::kAll;
            else throw Error("Unknown option value for -r (expecting 'leaks' or 'all'): {}", optarg);
            break;
        case 'T': request.cache = optarg; break;
        case 'q': quiet = true; break;
        case 'U': request.force_share = true; break;
        case kOutput: output = optarg; break;
        default: bad_option(argv);
        }
    }
    check_output_format(output);
    if (optind != argc - 1) missing_filename();
    request.filename = argv[optind];
    request.writable = fix != block::CheckFix::kNone;
    request.allow_corrupt = request.writable;
    request.for_check = true;
    // qemu-img check opens the backing chain too: a backing file that cannot
    // be opened makes the image unusable, not clean.
    auto node = open_image(request);

    block::CheckResult result;
    try {
        result = node->check(fix);
    } catch (const Error& e) {
        if (std::string(e.what()) == "This image format does not support checks") {
            std::fprintf(stderr, "mimic-img: This image format does not support checks\n");
            return kCheckUnsupported;
        }
        std::fprintf(stderr, "mimic-img: Check failed: %s\n", e.what());
        return kCheckInternal;
    }
    for (const auto& m : result.messages) std::fprintf(stderr, "%s\n", m.c_str());
    if (fix != block::CheckFix::kNone && (result.leaks_fixed || result.corruptions_fixed)) {
        if (output == "human" && !quiet)
            std::printf("The following inconsistencies were found and repaired:\n\n"
                        "    %d leaked clusters\n    %d corruptions\n\n"
                        "Double checking the fixed image now...\n",
                        result.leaks_fixed, result.corruptions_fixed);
        block::CheckResult again = node->check(block::CheckFix::kNone);
        for (const auto& m : again.messages) std::fprintf(stderr, "%s\n", m.c_str());
        again.leaks_fixed = result.leaks_fixed;
        again.corruptions_fixed = result.corruptions_fixed;
        result = again;
    }
    if (node->flush() < 0) result.check_errors++;

    if (output == "json") {
        nlohmann::json j;
        j["image-end-offset"] = result.image_end_offset;
        if (result.total_clusters) j["total-clusters"] = result.total_clusters;
        j["check-errors"] = result.check_errors;
        if (result.corruptions) j["corruptions"] = result.corruptions;
        if (result.leaks) j["leaks"] = result.leaks;
        if (result.corruptions_fixed) j["corruptions-fixed"] = result.corruptions_fixed;
        if (result.leaks_fixed) j["leaks-fixed"] = result.leaks_fixed;
        if (result.allocated_clusters) j["allocated-clusters"] = result.allocated_clusters;
        if (result.fragmented_clusters) j["fragmented-clusters"] = result.fragmented_clusters;
        if (result.compressed_clusters) j["compressed-clusters"] = result.compressed_clusters;
        j["filename"] = request.filename;
        j["format"] = node->format_name();
        std::printf("%s\n", qemu_json_pretty(j).c_str());
    } else if (!quiet) {
        print_human(result);
    }
    if (result.check_errors) return kCheckInternal;
    if (result.corruptions) return kCheckCorrupt;
    if (result.leaks) return kCheckLeaks;
    return kCheckOk;
}

}  // namespace mimic::img
