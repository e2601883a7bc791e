// "info": the image summary in qemu-img's human and JSON layouts.
//
#include "common.h"
#include "qjson.h"

#include "mimic/block/snapshot_table.h"
#include "mimic/util/size.h"

#include <getopt.h>
#include <nlohmann/json.hpp>

#include <ctime>
#include <cstdio>

namespace mimic::img {
namespace {

using Json = nlohmann::json;

}  // namespace

using block::snapshot_table_text;

static Json info_json(block::BlockNode& node, const std::string& display_name) {
    Json j;
    auto snaps = node.snapshots();
    if (!snaps.empty()) {
        Json list = Json::array();
        for (const auto& sn : snaps) {
            Json s;
            if (sn.has_icount) s["icount"] = sn.icount;
            s["vm-clock-nsec"] = sn.vm_clock_nsec % 1000000000;
            s["name"] = sn.name;
            s["date-sec"] = sn.date_sec;
            s["date-nsec"] = sn.date_nsec;
            s["vm-clock-sec"] = sn.vm_clock_nsec / 1000000000;
            s["id"] = sn.id;
            s["vm-state-size"] = sn.vm_state_size;
            list.push_back(s);
        }
        j["snapshots"] = list;
    }
    if (!node.backing_name().empty() && !node.backing_format().empty())
        j["backing-filename-format"] = node.backing_format();
    j["virtual-size"] = node.size();
    j["filename"] = display_name;
    if (node.cluster_size()) j["cluster-size"] = node.cluster_size();
    j["format"] = node.format_name();
    int64_t actual = node.allocated_file_size();
    if (actual >= 0) j["actual-size"] = actual;
    auto fields = node.format_info();
    if (!fields.empty()) {
        Json data;
        for (const auto& f : fields) {
            if (f.kind == block::InfoField::kString) data[f.key] = f.text;
            else if (f.kind == block::InfoField::kBool) data[f.key] = f.flag;
            else if (f.kind == block::InfoField::kBitmaps) {
                Json list = Json::array();
                for (const auto& bm : f.bitmaps) {
                    Json b;
                    b["flags"] = bm.flags;
                    b["name"] = bm.name;
                    b["granularity"] = bm.granularity;
                    list.push_back(b);
                }
                data[f.key] = list;
            } else data[f.key] = f.number;
        }
        Json spec;
        spec["type"] = node.format_name();
        spec["data"] = data;
        j["format-specific"] = spec;
    }
    if (!node.backing_name().empty()) {
        j["full-backing-filename"] = node.backing_full_name();
        j["backing-filename"] = node.backing_name();
    }
    j["dirty-flag"] = node.dirty_flag();
    return j;
}

static std::string info_text(block::BlockNode& node, const std::string& display_name) {
    std::string out = fmt::format("image: {}\nfile format: {}\nvirtual size: {} ({} bytes)\n", display_name,
                                  node.format_name(), format_size(node.size()), node.size());
    int64_t actual = node.allocated_file_size();
    out += fmt::format("disk size: {}\n", actual >= 0 ? format_size(actual) : "unavailable");
    if (node.cluster_size()) out += fmt::format("cluster_size: {}\n", node.cluster_size());
    if (!node.backing_name().empty()) {
        out += fmt::format("backing file: {}", node.backing_name());
        if (node.backing_full_name() != node.backing_name())
            out += fmt::format(" (actual path: {})", node.backing_full_name());
        out += "\n";
        if (!node.backing_format().empty()) out += fmt::format("backing file format: {}\n", node.backing_format());
    }
    if (node.dirty_flag()) out += "cleanly shut down: no\n";
    auto snaps = node.snapshots();
    if (!snaps.empty()) out += "Snapshot list:\n" + snapshot_table_text(snaps);
    auto fields = node.format_info();
    if (!fields.empty()) {
        out += "Format specific information:\n";
        for (const auto& f : fields) {
            std::string key = f.key;
            for (auto& ch : key)
                if (ch == '-') ch = ' ';
            if (f.kind == block::InfoField::kBitmaps) {
                out += fmt::format("    {}:\n", key);
                for (size_t i = 0; i < f.bitmaps.size(); ++i) {
                    const auto& bm = f.bitmaps[i];
                    out += fmt::format("        [{}]:\n            flags:\n", i);
                    for (size_t k = 0; k < bm.flags.size(); ++k)
                        out += fmt::format("                [{}]: {}\n", k, bm.flags[k]);
                    out += fmt::format("            name: {}\n            granularity: {}\n", bm.name, bm.granularity);
                }
                continue;
            }
            std::string value = f.kind == block::InfoField::kString ? f.text
                                : f.kind == block::InfoField::kBool ? (f.flag ? "true" : "false")
                                                                    : std::to_string(f.number);
            out += fmt::format("    {}: {}\n", key, value);
        }
    }
    return out;
}

int cmd_info(int argc, char** argv) {
    OpenRequest request;
    std::string output = "human";
    bool chain = false;
    optind = 1;
    enum { kOutput = 256, kBackingChain };
    static const option kLong[] = {{"help", no_argument, nullptr, 'h'},
                                   {"format", required_argument, nullptr, 'f'},
                                   {"output", required_argument, nullptr, kOutput},
                                   {"backing-chain", no_argument, nullptr, kBackingChain},
                                   {"force-share", no_argument, nullptr, 'U'},
                                   {nullptr, 0, nullptr, 0}};
    int c;
    while ((c = getopt_long(argc, argv, "f:hU", kLong, nullptr)) != -1) {
        switch (c) {
        case 'f': request.format = optarg; break;
        case 'U': request.force_share = true; break;
        case kOutput: output = optarg; break;
        case kBackingChain: chain = true; break;
        default: bad_option(argv);
        }
    }
    check_output_format(output);
    if (optind != argc - 1) missing_filename();
    request.filename = argv[optind];

    Json all = Json::array();
    std::string text;
    std::string filename = request.filename;
    std::string format = request.format;
    for (int depth = 0;; ++depth) {
        OpenRequest r = request;
        r.filename = filename;
        r.format = format;
        r.no_backing = true;
        r.no_io = true;
        auto node = open_image(r);
        if (output == "json") all.push_back(info_json(*node, filename));
        else text += (depth ? "\n" : "") + info_text(*node, filename);
        if (!chain || node->backing_name().empty()) break;
        filename = node->backing_full_name();
        format = node->backing_format();
        if (depth > 256) throw Error("Backing chain is too long or contains a loop");
    }
    if (output == "json") {
        std::printf("%s\n", qemu_json_pretty(chain ? all : all[0]).c_str());
    } else {
        std::printf("%s", text.c_str());
    }
    return 0;
}

}  // namespace mimic::img
