// The disk devices' shared properties (see block_conf.h).
#include "mimic/hw/block_conf.h"

#include <string>

#include "mimic/util/error.h"

namespace mimic::hw {

void BlockConf::check_block_size(const char* name, uint64_t size) {
    if (size < 512 || size > (2u << 20))
        throw Error("Property .{} doesn't take value {} (minimum: 512, maximum: 2097152)", name, size);
    if (size & (size - 1)) throw Error("Property .{} doesn't take value '{}', it's not a power of 2", name, size);
}

std::vector<qom::Property> block_conf_properties() {
    using D = BlockConf;
    const std::vector<std::string> kOnError = {"report", "ignore", "enospc", "stop", "auto"};
    const std::string kOnErrorHelp = "Error handling policy, report/ignore/enospc/stop/auto";
    const std::string kBlockSizeHelp = "A power of two between 512 B and 2 MiB";
    return {
        qom::prop::drive("drive", &D::drive_, "Node name or ID of a block device to use as a backend"),
        qom::prop::on_off_auto("backend_defaults", &D::backend_defaults_, qom::OnOffAuto::kAuto),
        qom::prop::size("logical_block_size", &D::logical_block_size_, 0, kBlockSizeHelp),
        qom::prop::size("physical_block_size", &D::physical_block_size_, 0, kBlockSizeHelp),
        qom::prop::size("min_io_size", &D::min_io_size_, 0),
        qom::prop::size("opt_io_size", &D::opt_io_size_, 0),
        qom::prop::size("discard_granularity", &D::discard_granularity_, 0xffffffff),
        qom::prop::on_off_auto("write-cache", &D::write_cache_, qom::OnOffAuto::kAuto),
        qom::prop::boolean("share-rw", &D::share_rw_, false).without_type_description(),
        qom::prop::on_off_auto("account-invalid", &D::account_invalid_, qom::OnOffAuto::kAuto),
        qom::prop::on_off_auto("account-failed", &D::account_failed_, qom::OnOffAuto::kAuto),
        qom::prop::enumeration("rerror", &D::rerror_, "BlockdevOnError", kOnError, BlockErrorPolicy::kAuto,
                               kOnErrorHelp),
        qom::prop::enumeration("werror", &D::werror_, "BlockdevOnError", kOnError, BlockErrorPolicy::kAuto,
                               kOnErrorHelp),
    };
}

}  // namespace mimic::hw
