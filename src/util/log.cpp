#include "mimic/util/log.h"

#include <cerrno>
#include <string>

#include "mimic/util/error.h"

namespace mimic::log {

uint32_t g_mask = 0;

namespace {

std::FILE* g_file = nullptr;

const ItemInfo kItems[] = {
    {kOutAsm, "out_asm", "show generated host assembly code for each compiled TB"},
    {kInAsm, "in_asm", "show target assembly code for each compiled TB"},
    {kOp, "op", "show micro ops for each compiled TB"},
    {kOpOpt, "op_opt", "show micro ops after optimization"},
    {kInt, "int", "show interrupts/exceptions in short format"},
    {kExec, "exec", "show trace before each executed TB (lots of logs)"},
    {kCpu, "cpu", "show CPU registers before entering a TB (lots of logs)"},
    {kGuestErrors, "guest_errors", "log when the guest OS does something invalid"},
    {kUnimp, "unimp", "log unimplemented functionality"},
    {kPage, "page", "dump pages at beginning of user mode emulation"},
    {kNochain, "nochain", "do not chain compiled TBs so that \"exec\" and \"cpu\" show complete traces"},
};

}  // namespace

const ItemInfo* items_begin() { return std::begin(kItems); }
const ItemInfo* items_end() { return std::end(kItems); }

uint32_t parse_items(std::string_view list) {
    uint32_t mask = 0;
    while (!list.empty()) {
        size_t comma = list.find(',');
        std::string_view name = list.substr(0, comma);
        list = comma == std::string_view::npos ? std::string_view{} : list.substr(comma + 1);
        if (name == "all") {
            for (const ItemInfo& info : kItems) mask |= info.item;
            continue;
        }
        bool found = false;
        for (const ItemInfo& info : kItems) {
            if (name == info.name) {
                mask |= info.item;
                found = true;
            }
        }
        if (!found) throw Error("unknown logging item '{}' (see -d help)", name);
    }
    return mask;
}

void set_mask(uint32_t mask) { g_mask = mask; }

void set_file(const std::string& path) {
    if (g_file && g_file != stderr) std::fclose(g_file);
    g_file = nullptr;
    if (path.empty()) return;
    std::FILE* file = std::fopen(path.c_str(), "w");
    if (!file) throw Error("could not open log file '{}': {}", path, errno_string(errno));
    setvbuf(file, nullptr, _IOLBF, 0);
    g_file = file;
}

std::FILE* stream() { return g_file ? g_file : stderr; }

void write(std::string_view text) {
    std::fwrite(text.data(), 1, text.size(), stream());
}

}  // namespace mimic::log
