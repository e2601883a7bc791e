#include "mimic/block/snapshot_table.h"

#include <fmt/format.h>

#include <ctime>

#include "mimic/util/size.h"

namespace mimic::block {
namespace {

// Local time, as QEMU prints it.
std::string snapshot_date(uint32_t sec) {
    time_t t = sec;
    struct tm tm;
    localtime_r(&t, &tm);
    char buf[32];
    strftime(buf, sizeof buf, "%Y-%m-%d %H:%M:%S", &tm);
    return buf;
}

std::string snapshot_clock(uint64_t nsec) {
    uint64_t ms = nsec / 1000000;
    return fmt::format("{:02}:{:02}:{:02}.{:03}", ms / 3600000, ms / 60000 % 60, ms / 1000 % 60, ms % 1000);
}

}  // namespace

std::string snapshot_table_header() {
    return fmt::format("{:<9} {:<17} {:>7}{:>20}{:>13}{:>11}\n", "ID", "TAG", "VM SIZE", "DATE", "VM CLOCK",
                       "ICOUNT");
}

std::string snapshot_table_row(const SnapshotInfo& sn, const std::string* id) {
    return fmt::format("{:<9} {:<17} {:>7}{:>20}{:>13}{:>11}\n", id ? *id : sn.id, sn.name,
                       format_size(sn.vm_state_size), snapshot_date(sn.date_sec), snapshot_clock(sn.vm_clock_nsec),
                       sn.has_icount ? std::to_string(sn.icount) : "");
}

std::string snapshot_table_text(const std::vector<SnapshotInfo>& list) {
    std::string out = snapshot_table_header();
    for (const SnapshotInfo& sn : list) out += snapshot_table_row(sn);
    return out;
}

}  // namespace mimic::block
