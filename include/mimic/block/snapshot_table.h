// Internal snapshots as QEMU prints them (bdrv_snapshot_dump): the table of
// `qemu-img snapshot -l`, `qemu-img info` and the monitor's `info snapshots`.
//
//   ID        TAG               VM SIZE                DATE     VM CLOCK     ICOUNT
//   1         snapA                 0 B 2026-11-22 10:58:48 00:00:00.000          0
#pragma once

#include <string>
#include <vector>

#include "mimic/block/node.h"

namespace mimic::block {

// Each with its "\n".
std::string snapshot_table_header();
// `id` replaces the snapshot's own ID when given ("--" for snapshots on
// every disk, whose IDs may differ between images).
std::string snapshot_table_row(const SnapshotInfo& snapshot, const std::string* id = nullptr);
// The header, then a row per snapshot.
std::string snapshot_table_text(const std::vector<SnapshotInfo>& list);

}  // namespace mimic::block
