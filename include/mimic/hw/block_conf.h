// The properties QEMU's disk devices share (its DEFINE_BLOCK_PROPERTIES and
// DEFINE_BLOCK_ERROR_PROPERTIES): the back end, block sizes and I/O hints,
// the write cache, sharing, I/O accounting and the error policies. A disk
// device inherits BlockConf and lists block_conf_properties() at the head
// of its own, in QEMU's order.
#pragma once

#include <cstdint>
#include <vector>

#include "mimic/qom/object.h"
#include "mimic/qom/property.h"

namespace mimic::hw {

enum class BlockErrorPolicy { kReport, kIgnore, kEnospc, kStop, kAuto };

class BlockConf {
public:
    virtual ~BlockConf() = default;

    qom::BackendLink drive_;
    qom::OnOffAuto backend_defaults_ = qom::OnOffAuto::kAuto;
    uint64_t logical_block_size_ = 0;  // 0: the back end's
    uint64_t physical_block_size_ = 0;
    uint64_t min_io_size_ = 0;
    uint64_t opt_io_size_ = 0;
    uint64_t discard_granularity_ = 0xffffffff;  // all ones: the device's default
    qom::OnOffAuto write_cache_ = qom::OnOffAuto::kAuto;
    bool share_rw_ = false;
    qom::OnOffAuto account_invalid_ = qom::OnOffAuto::kAuto;
    qom::OnOffAuto account_failed_ = qom::OnOffAuto::kAuto;
    BlockErrorPolicy rerror_ = BlockErrorPolicy::kAuto;
    BlockErrorPolicy werror_ = BlockErrorPolicy::kAuto;

    // A logical or physical block size: a power of two between 512 B and
    // 2 MiB; throws mimic::Error with QEMU's message otherwise.
    static void check_block_size(const char* name, uint64_t size);
};

// drive .. account-failed, then rerror and werror.
std::vector<qom::Property> block_conf_properties();

}  // namespace mimic::hw
