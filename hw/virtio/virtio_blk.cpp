// virtio-blk: "virtio-blk-device" (the block device on a virtio bus) and
// its PCI functions "virtio-blk-pci" (1af4:1001, or 1af4:1042 modern-only),
// "virtio-blk-pci-transitional" and "virtio-blk-pci-non-transitional", as
// QEMU 7.2 has them, with the same properties, features and configuration
// space (capacity, seg_max, geometry, block size and topology, write
// cache, queues, discard and write-zeroes limits).
//
// Requests (virtio 1.1, 5.2.6): read, write, flush, get-id, discard and
// write-zeroes. Data moves synchronously between the image and guest RAM
// in 64 KiB pieces, so no request's length sizes a host buffer. A request
// without room for its header or status byte breaks the device (QEMU's
// "missing headers"); one outside the disk or not a whole number of
// logical blocks completes with VIRTIO_BLK_S_IOERR.
#include <algorithm>
#include <array>
#include <cerrno>
#include <vector>

#include "mimic/block/drive.h"
#include "mimic/hw/block_conf.h"
#include "mimic/hw/machine.h"
#include "mimic/hw/x86_cpu.h"
#include "mimic/qom/property.h"
#include "mimic/qom/type.h"
#include "mimic/system/drives.h"
#include "mimic/util/error.h"
#include "mimic/util/log.h"
#include "virtio_device.h"
#include "virtio_pci.h"
#include "virtio_regs.h"

namespace mimic::hw::virtio {
namespace {

constexpr uint16_t kVirtioIdBlock = 2;
constexpr uint64_t kSectorSize = 512;
constexpr uint64_t kChunk = 64 * 1024;
constexpr uint16_t kNumQueuesAuto = 0xffff;
constexpr unsigned kIdBytes = 20;  // VIRTIO_BLK_ID_BYTES

// Feature bits (5.2.3).
constexpr int kFSegMax = 2;
constexpr int kFGeometry = 4;
constexpr int kFReadOnly = 5;
constexpr int kFBlkSize = 6;
constexpr int kFFlush = 9;
constexpr int kFTopology = 10;
constexpr int kFConfigWce = 11;
constexpr int kFMultiQueue = 12;
constexpr int kFDiscard = 13;
constexpr int kFWriteZeroes = 14;

// Request types and status values (5.2.6).
constexpr uint32_t kTypeIn = 0;
constexpr uint32_t kTypeOut = 1;
constexpr uint32_t kTypeFlush = 4;
constexpr uint32_t kTypeGetId = 8;
constexpr uint32_t kTypeDiscard = 11;
constexpr uint32_t kTypeWriteZeroes = 13;
constexpr uint32_t kTypeBarrier = 0x80000000;  // legacy flag, ignored as QEMU does
constexpr uint8_t kStatusOk = 0;
constexpr uint8_t kStatusIoErr = 1;
constexpr uint8_t kStatusUnsupported = 2;
constexpr uint32_t kWriteZeroesUnmap = 1;

// Where fields sit in struct virtio_blk_config.
constexpr size_t kConfigBase = 36;         // up to num_queues
constexpr size_t kConfigDiscard = 48;      // + the discard fields
constexpr size_t kConfigWriteZeroes = 57;  // + the write-zeroes fields
constexpr unsigned kConfigWceOffset = 32;

using OnError = BlockErrorPolicy;

uint32_t load32(const uint8_t* p) {
    return static_cast<uint32_t>(p[0] | p[1] << 8 | p[2] << 16 | static_cast<uint32_t>(p[3]) << 24);
}
uint64_t load64(const uint8_t* p) { return load32(p) | uint64_t{load32(p + 4)} << 32; }

void put(std::vector<uint8_t>& out, size_t at, uint64_t value, unsigned size) {
    for (unsigned i = 0; i < size; ++i) out[at + i] = static_cast<uint8_t>(value >> (8 * i));
}

bool power_of_two(uint64_t v) { return v && !(v & (v - 1)); }

class VirtioBlkDevice : public VirtioDevice, public BlockConf {
  public:
    uint16_t virtio_id() const override { return kVirtioIdBlock; }

    std::vector<uint8_t> config() const override;
    void write_config(unsigned offset, uint64_t value, unsigned size) override {
        // The driver toggles the write cache through wce (CONFIG_WCE).
        if (offset <= kConfigWceOffset && offset + size > kConfigWceOffset)
            wce_ = (value >> (8 * (kConfigWceOffset - offset)) & 0xff) != 0;
    }

    // Properties beyond BlockConf's.
    uint32_t cyls_ = 0, heads_ = 0, secs_ = 0;
    uint32_t lcyls_ = 0, lheads_ = 0, lsecs_ = 0;
    std::string serial_;
    bool config_wce_ = true;
    bool scsi_ = false;
    bool request_merging_ = true;
    uint16_t num_queues_ = kNumQueuesAuto;
    uint16_t queue_size_ = 256;
    bool seg_max_adjust_ = true;
    bool discard_ = true;
    bool report_discard_granularity_ = true;
    bool write_zeroes_ = true;
    uint32_t max_discard_sectors_ = 4194303;
    uint32_t max_write_zeroes_sectors_ = 4194303;
    bool x_enable_wce_if_config_wce_ = true;

    static std::vector<qom::Property> properties();

  protected:
    uint64_t device_features(bool modern) const override;
    void handle_queue(int index) override;
    void device_reset() override { wce_ = initial_wce_; }
    void do_realize() override;
    void do_unrealize() override { clear_queues(); }

  private:
    block::Drive* drive() const {
        auto* info = drive_.get<system::DriveInfo>();
        return info ? info->drive.get() : nullptr;
    }
    bool read_only() const { return read_only_; }
    uint8_t execute(const Element& e, uint32_t type, uint64_t sector);
    uint8_t discard_or_zero(const Element& e, bool zeroes);
    bool range_ok(uint64_t sector, uint64_t bytes) const;
    uint8_t failed(int ret, bool write) const {
        OnError action = write ? werror_ : rerror_;
        (void)ret;
        return action == OnError::kIgnore ? kStatusOk : kStatusIoErr;
    }

    bool wce_ = true;
    bool initial_wce_ = true;
    bool read_only_ = false;
    bool discard_unmap_ = false;
    uint64_t capacity_ = 0;  // in 512-byte sectors
};

std::vector<qom::Property> VirtioBlkDevice::properties() {
    using D = VirtioBlkDevice;
    std::vector<qom::Property> properties = block_conf_properties();
    std::vector<qom::Property> own = {
        qom::prop::uint32("cyls", &D::cyls_, 0),
        qom::prop::uint32("heads", &D::heads_, 0),
        qom::prop::uint32("secs", &D::secs_, 0),
        qom::prop::uint32("lcyls", &D::lcyls_, 0),
        qom::prop::uint32("lheads", &D::lheads_, 0),
        qom::prop::uint32("lsecs", &D::lsecs_, 0),
        qom::prop::string("serial", &D::serial_),
        qom::prop::boolean("config-wce", &D::config_wce_, true),
        qom::prop::boolean("scsi", &D::scsi_, false),
        qom::prop::boolean("request-merging", &D::request_merging_, true),
        qom::prop::uint16("num-queues", &D::num_queues_, kNumQueuesAuto),
        qom::prop::uint16("queue-size", &D::queue_size_, 256),
        qom::prop::boolean("seg-max-adjust", &D::seg_max_adjust_, true).without_type_description(),
        qom::prop::boolean("discard", &D::discard_, true),
        qom::prop::boolean("report-discard-granularity", &D::report_discard_granularity_, true)
            .without_type_description(),
        qom::prop::boolean("write-zeroes", &D::write_zeroes_, true),
        qom::prop::uint32("max-discard-sectors", &D::max_discard_sectors_, 4194303),
        qom::prop::uint32("max-write-zeroes-sectors", &D::max_write_zeroes_sectors_, 4194303),
        qom::prop::boolean("x-enable-wce-if-config-wce", &D::x_enable_wce_if_config_wce_, true)
            .without_type_description(),
    };
    properties.insert(properties.end(), own.begin(), own.end());
    return properties;
}

void VirtioBlkDevice::do_realize() {
    VirtioDevice::do_realize();
    auto* info = drive_.get<system::DriveInfo>();
    if (!info) throw Error("drive property not set");
    if (!info->drive) throw Error("Device needs media, but drive is empty");
    if (scsi_) throw Error("Please set scsi=off for virtio-blk devices in order to use virtio 1.0");
    if (num_queues_ == kNumQueuesAuto) num_queues_ = 1;
    if (num_queues_ == 0) throw Error("num-queues property must be larger than 0");
    if (queue_size_ <= 2) throw Error("invalid queue-size property ({}), must be > 2", queue_size_);
    if (!power_of_two(queue_size_) || queue_size_ > kQueueMaxSize)
        throw Error("invalid queue-size property ({}), must be a power of 2 (max {})", queue_size_,
                    kQueueMaxSize);
    if (num_queues_ > kQueueMaxSize)
        throw Error("num-queues property must be at most {}", kQueueMaxSize);
    if (rerror_ == OnError::kStop || rerror_ == OnError::kEnospc || werror_ == OnError::kStop ||
        werror_ == OnError::kEnospc)
        throw Error(
            "stopping the VM on an I/O error (werror/rerror=stop or enospc) is not supported yet");
    // Unset sizes are the image's: 512-byte sectors.
    if (logical_block_size_ == 0) logical_block_size_ = kSectorSize;
    if (physical_block_size_ == 0) physical_block_size_ = kSectorSize;
    check_block_size("logical_block_size", logical_block_size_);
    check_block_size("physical_block_size", physical_block_size_);
    if (logical_block_size_ > physical_block_size_)
        throw Error("logical_block_size > physical_block_size not supported");
    constexpr uint32_t kMaxRequestSectors = 4194303;  // QEMU's BDRV_REQUEST_MAX_SECTORS
    if (max_discard_sectors_ == 0 || max_discard_sectors_ > kMaxRequestSectors)
        throw Error("invalid max-discard-sectors property ({}), must be between 1 and {}",
                    max_discard_sectors_, kMaxRequestSectors);
    if (max_write_zeroes_sectors_ == 0 || max_write_zeroes_sectors_ > kMaxRequestSectors)
        throw Error("invalid max-write-zeroes-sectors property ({}), must be between 1 and {}",
                    max_write_zeroes_sectors_, kMaxRequestSectors);
    capacity_ = info->drive->size() / kSectorSize;
    read_only_ = info->drive->read_only();
    discard_unmap_ = info->discard_unmap;
    // QEMU's guess for a disk whose partitions say nothing: 16 heads, 63
    // sectors, cylinders from the size.
    if (!cyls_ && !heads_ && !secs_) {
        cyls_ = static_cast<uint32_t>(std::clamp<uint64_t>(capacity_ / (16 * 63), 2, 16383));
        heads_ = 16;
        secs_ = 63;
    }
    if (cyls_ < 1 || cyls_ > 65535) throw Error("cyls must be between 1 and 65535");
    if (heads_ < 1 || heads_ > 255) throw Error("heads must be between 1 and 255");
    if (secs_ < 1 || secs_ > 255) throw Error("secs must be between 1 and 255");
    initial_wce_ = write_cache_ == qom::OnOffAuto::kAuto ? info->drive->cache().writeback
                                                         : write_cache_ == qom::OnOffAuto::kOn;
    wce_ = initial_wce_;
    clear_queues();
    for (int i = 0; i < num_queues_; ++i) add_queue(queue_size_);
}

uint64_t VirtioBlkDevice::device_features(bool) const {
    uint64_t f = bit(kFSegMax) | bit(kFGeometry) | bit(kFTopology) | bit(kFBlkSize);
    if (config_wce_) f |= bit(kFConfigWce);
    if (initial_wce_ || (x_enable_wce_if_config_wce_ && config_wce_)) f |= bit(kFFlush);
    if (read_only_) f |= bit(kFReadOnly);
    if (num_queues_ > 1) f |= bit(kFMultiQueue);
    if (discard_) f |= bit(kFDiscard);
    if (write_zeroes_) f |= bit(kFWriteZeroes);
    return f;
}

std::vector<uint8_t> VirtioBlkDevice::config() const {
    size_t size = write_zeroes_ ? kConfigWriteZeroes : discard_ ? kConfigDiscard : kConfigBase;
    std::vector<uint8_t> c(size, 0);
    uint64_t blocks_per_phys = physical_block_size_ / logical_block_size_;
    unsigned phys_exp = 0;
    while ((uint64_t{1} << phys_exp) < blocks_per_phys) ++phys_exp;
    put(c, 0, capacity_, 8);
    put(c, 8, 0, 4);  // size_max: not offered
    put(c, 12, seg_max_adjust_ ? queue_size_ - 2u : 128u - 2u, 4);
    put(c, 16, cyls_, 2);
    put(c, 18, heads_, 1);
    put(c, 19, secs_, 1);
    put(c, 20, logical_block_size_, 4);
    put(c, 24, phys_exp, 1);
    put(c, 25, 0, 1);  // alignment offset
    put(c, 26, min_io_size_ / logical_block_size_, 2);
    put(c, 28, opt_io_size_ / logical_block_size_, 4);
    put(c, kConfigWceOffset, wce_ ? 1 : 0, 1);
    put(c, 34, num_queues_, 2);
    if (size >= kConfigDiscard) {
        uint64_t granularity =
            discard_granularity_ == 0xffffffff ? logical_block_size_ : discard_granularity_;
        put(c, 36, max_discard_sectors_, 4);
        put(c, 40, 1, 4);  // one segment per request, as QEMU
        put(c, 44, report_discard_granularity_ ? granularity / kSectorSize : 0, 4);
    }
    if (size >= kConfigWriteZeroes) {
        put(c, 48, max_write_zeroes_sectors_, 4);
        put(c, 52, 1, 4);
        put(c, 56, 1, 1);  // write_zeroes_may_unmap
    }
    return c;
}

bool VirtioBlkDevice::range_ok(uint64_t sector, uint64_t bytes) const {
    if (bytes % logical_block_size_ || (sector * kSectorSize) % logical_block_size_) return false;
    if (sector > capacity_ || sector > UINT64_MAX / kSectorSize) return false;
    return bytes / kSectorSize <= capacity_ - sector;
}

void VirtioBlkDevice::handle_queue(int index) {
    Virtqueue& q = queue(index);
    while (auto element = q.pop(memory())) {
        const Element& e = *element;
        uint8_t header[16];
        if (e.out_bytes < sizeof header || e.in_bytes < 1)
            throw VirtqueueError("virtio-blk missing headers");
        if (!e.read_out(memory(), 0, header, sizeof header))
            throw VirtqueueError("request header is not in RAM");
        uint8_t status = execute(e, load32(header) & ~kTypeBarrier, load64(header + 8));
        if (!e.write_in(memory(), e.in_bytes - 1, &status, 1))
            throw VirtqueueError("status byte is not in RAM");
        complete(index, e, static_cast<uint32_t>(std::min<uint64_t>(e.in_bytes, UINT32_MAX)));
    }
}

uint8_t VirtioBlkDevice::execute(const Element& e, uint32_t type, uint64_t sector) {
    block::Drive* d = drive();
    switch (type) {
        case kTypeIn: {
            uint64_t bytes = e.in_bytes - 1;
            if (!range_ok(sector, bytes) || !d) return kStatusIoErr;
            std::vector<uint8_t> buffer(static_cast<size_t>(std::min(bytes, kChunk)));
            for (uint64_t done = 0; done < bytes;) {
                uint64_t n = std::min(bytes - done, kChunk);
                int ret = d->read(sector * kSectorSize + done, buffer.data(), n);
                if (ret < 0) return failed(ret, false);
                if (!e.write_in(memory(), done, buffer.data(), n))
                    throw VirtqueueError("read buffer is not in RAM");
                done += n;
            }
            return kStatusOk;
        }
        case kTypeOut: {
            uint64_t bytes = e.out_bytes - 16;
            if (!range_ok(sector, bytes) || !d) return kStatusIoErr;
            if (read_only_) return failed(-EACCES, true);
            std::vector<uint8_t> buffer(static_cast<size_t>(std::min(bytes, kChunk)));
            for (uint64_t done = 0; done < bytes;) {
                uint64_t n = std::min(bytes - done, kChunk);
                if (!e.read_out(memory(), 16 + done, buffer.data(), n))
                    throw VirtqueueError("write buffer is not in RAM");
                int ret = d->write(sector * kSectorSize + done, buffer.data(), n);
                if (ret < 0) return failed(ret, true);
                done += n;
            }
            // With the cache off (wce=0) each write is on the medium before it completes.
            if (!wce_) {
                int ret = d->flush();
                if (ret < 0) return failed(ret, true);
            }
            return kStatusOk;
        }
        case kTypeFlush: {
            if (!d) return kStatusIoErr;
            int ret = d->flush();
            return ret < 0 ? failed(ret, true) : kStatusOk;
        }
        case kTypeGetId: {
            // The serial, NUL-terminated when it is shorter than 20 bytes.
            uint64_t n = std::min<uint64_t>({serial_.size() + 1, e.in_bytes - 1, kIdBytes});
            std::string id = serial_;
            id.push_back('\0');
            if (!e.write_in(memory(), 0, id.data(), n))
                throw VirtqueueError("get-id buffer is not in RAM");
            return kStatusOk;
        }
        case kTypeDiscard:
            return discard_ ? discard_or_zero(e, false) : kStatusUnsupported;
        case kTypeWriteZeroes:
            return write_zeroes_ ? discard_or_zero(e, true) : kStatusUnsupported;
        default:
            return kStatusUnsupported;
    }
}

// One {sector, num_sectors, flags} segment; QEMU handles one per request
// (max_discard_seg = max_write_zeroes_seg = 1).
uint8_t VirtioBlkDevice::discard_or_zero(const Element& e, bool zeroes) {
    uint8_t segment[16];
    if (!e.read_out(memory(), 16, segment, sizeof segment))
        throw VirtqueueError("virtio-blk discard/write_zeroes header too short");
    uint64_t sector = load64(segment);
    uint32_t count = load32(segment + 8);
    uint32_t flags = load32(segment + 12);
    if (zeroes ? (flags & ~kWriteZeroesUnmap) : flags) return kStatusUnsupported;
    if (count > (zeroes ? max_write_zeroes_sectors_ : max_discard_sectors_)) return kStatusIoErr;
    if (!range_ok(sector, uint64_t{count} * kSectorSize)) return kStatusIoErr;
    block::Drive* d = drive();
    if (!d) return kStatusIoErr;
    if (read_only_) return failed(-EACCES, true);
    int ret = 0;
    if (zeroes) {
        // Unmapping is allowed only when the drive says discard=unmap.
        ret = d->write_zeroes(sector * kSectorSize, uint64_t{count} * kSectorSize,
                              (flags & kWriteZeroesUnmap) && discard_unmap_);
    } else if (discard_unmap_) {
        ret = d->discard(sector * kSectorSize, uint64_t{count} * kSectorSize);
    }  // discard=ignore (the default): nothing to do, as QEMU
    return ret < 0 ? failed(ret, true) : kStatusOk;
}

MIMIC_REGISTER_TYPE({
    .name = "virtio-blk-device",
    .parent = kTypeVirtioDevice,
    .factory = qom::factory_of<VirtioBlkDevice>(),
    .properties = VirtioBlkDevice::properties(),
    .categories = {qom::DeviceCategory::kStorage},
});

class VirtioBlkPci : public VirtioPciProxy {
  public:
    explicit VirtioBlkPci(Flavor flavor = Flavor::kGeneric)
        : VirtioPciProxy("virtio-blk-device", flavor) {}

  protected:
    uint16_t transitional_device_id() const override { return 0x1001; }
    std::string boot_suffix() const override { return "/disk@0,0"; }
    uint32_t pci_class() const override {
        // Only "SCSI" (the default) and "other storage" are allowed, as QEMU.
        uint32_t klass = class_code_ == 0x0180 ? 0x0180 : 0x0100;
        return klass << 8;
    }
    uint32_t auto_vectors() const override {
        auto& blk = static_cast<VirtioBlkDevice&>(vdev());
        return blk.num_queues_ + 1u;
    }
    void pci_realize() override {
        auto& blk = static_cast<VirtioBlkDevice&>(vdev());
        // One queue per vCPU, as QEMU's virtio_pci_optimal_num_queues.
        if (blk.num_queues_ == kNumQueuesAuto) {
            size_t cpus = 1;
            if (Machine* machine = Machine::of(*this))
                cpus = std::max<size_t>(1, x86_cpus(*machine).size());
            blk.num_queues_ = static_cast<uint16_t>(std::min<size_t>(cpus, kQueueMaxSize));
        }
        VirtioPciProxy::pci_realize();
        if (vectors_ == kVectorsAuto) vectors_ = auto_vectors();
    }
};

std::vector<qom::Property> blk_pci_base_properties() {
    std::vector<qom::Property> props = {
        qom::prop::uint32("class", &VirtioPciProxy::class_code_, 0),
        qom::prop::boolean("ioeventfd", &VirtioPciProxy::ioeventfd_, true),
        qom::prop::uint32("vectors", &VirtioPciProxy::vectors_, VirtioPciProxy::kVectorsAuto),
    };
    props.push_back(qom::prop::bootindex(&VirtioPciProxy::bootindex_));
    props.push_back(VirtioPciProxy::backend_child_property("virtio-blk-device"));
    props.push_back(VirtioPciProxy::iothread_property());
    for (qom::Property& p : VirtioPciProxy::aliases(VirtioBlkDevice::properties()))
        props.push_back(std::move(p));
    for (qom::Property& p : VirtioPciProxy::aliases(VirtioDevice::common_properties()))
        props.push_back(std::move(p));
    return props;
}

template <VirtioPciProxy::Flavor flavor>
qom::Factory blk_factory() {
    return [] { return std::unique_ptr<qom::Object>(new VirtioBlkPci(flavor)); };
}

MIMIC_REGISTER_TYPE({
    .name = "virtio-blk-pci-base",
    .parent = kTypeVirtioPci,
    .abstract = true,
    .properties = blk_pci_base_properties(),
});

MIMIC_REGISTER_TYPE({
    .name = "virtio-blk-pci",
    .parent = "virtio-blk-pci-base",
    .factory = blk_factory<VirtioPciProxy::Flavor::kGeneric>(),
    .properties = VirtioPciProxy::mode_properties(),
    .categories = {qom::DeviceCategory::kStorage},
    .alias = "virtio-blk",
});

MIMIC_REGISTER_TYPE({
    .name = "virtio-blk-pci-transitional",
    .parent = "virtio-blk-pci-base",
    .factory = blk_factory<VirtioPciProxy::Flavor::kTransitional>(),
    .categories = {qom::DeviceCategory::kStorage},
});

MIMIC_REGISTER_TYPE({
    .name = "virtio-blk-pci-non-transitional",
    .parent = "virtio-blk-pci-base",
    .factory = blk_factory<VirtioPciProxy::Flavor::kNonTransitional>(),
    .categories = {qom::DeviceCategory::kStorage},
});

}  // namespace
}  // namespace mimic::hw::virtio
