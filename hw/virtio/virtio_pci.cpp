#include "virtio_pci.h"

#include <algorithm>
#include <nlohmann/json.hpp>

#include "mimic/hw/machine.h"
#include "mimic/memory/address_space.h"
#include "mimic/qom/type.h"
#include "mimic/util/error.h"
#include "mimic/util/log.h"
#include "virtio_regs.h"

namespace mimic::hw::virtio {

namespace pc = pci_config;

namespace {

constexpr uint16_t kVendorRedHat = 0x1af4;
constexpr uint8_t kCapIdVendor = 0x09;
constexpr int kLegacyBar = 0;
constexpr int kMsixBar = 1;
constexpr int kModernBar = 4;
constexpr uint64_t kModernBarSize = 0x4000;
constexpr uint32_t kNotifyOffMultiplier = 4;
// virtio_pci_cap: vndr, next, len, cfg_type, bar, id, padding[2], offset, length.
constexpr unsigned kCapBar = 4;
constexpr unsigned kCapOffset = 8;
constexpr unsigned kCapLength = 12;
constexpr unsigned kCapSize = 16;
constexpr unsigned kPciCfgData = 16;

uint64_t read_bytes(const std::vector<uint8_t>& bytes, uint64_t offset, unsigned size) {
    uint64_t value = 0;
    for (unsigned i = 0; i < size; ++i) value |= uint64_t{bytes[offset + i]} << (8 * i);
    return value;
}

// A property help lists but nobody sets: the device's child object and
// the iothread link (the I/O runs in the main loop for now).
class UnsettableType : public qom::PropertyType {
  public:
    UnsettableType(std::string name, std::string message)
        : name_(std::move(name)), message_(std::move(message)) {}
    std::string_view name() const override { return name_; }
    void parse(const qom::PropertySlot&, std::string_view) const override {
        throw Error("{}", message_);
    }
    void set(const qom::PropertySlot&, const nlohmann::json&) const override {
        throw Error("{}", message_);
    }
    nlohmann::json get(const qom::PropertySlot&) const override { return nullptr; }
    std::string print(const qom::PropertySlot&) const override { return {}; }
    void set_default(const qom::PropertySlot&, const qom::DefaultValue&) const override {}

  private:
    std::string name_, message_;
};

qom::Property unsettable(std::string name, std::string type, std::string message) {
    qom::Property p;
    p.name = std::move(name);
    p.type = std::make_shared<UnsettableType>(std::move(type), std::move(message));
    p.field = [](qom::Object& object) -> void* { return &object; };
    p.in_qtree = false;
    return p;
}

}  // namespace

MIMIC_REGISTER_TYPE({
    .name = kTypeVirtioPci,
    .parent = kTypePciDevice,
    .abstract = true,
    .properties = VirtioPciProxy::transport_properties(),
});

std::vector<qom::Property> VirtioPciProxy::transport_properties() {
    using P = VirtioPciProxy;
    return {
        qom::prop::boolean("virtio-pci-bus-master-bug-migration", &P::bus_master_bug_migration_,
                           false),
        qom::prop::boolean("migrate-extra", &P::migrate_extra_, true),
        qom::prop::boolean("modern-pio-notify", &P::modern_pio_notify_, false),
        qom::prop::boolean("x-disable-pcie", &P::x_disable_pcie_, false),
        qom::prop::boolean("page-per-vq", &P::page_per_vq_, false),
        qom::prop::boolean("x-ignore-backend-features", &P::x_ignore_backend_features_, false)
            .without_type_description(),
        qom::prop::boolean("ats", &P::ats_, false),
        qom::prop::boolean("x-ats-page-aligned", &P::x_ats_page_aligned_, true),
        qom::prop::boolean("x-pcie-deverr-init", &P::x_pcie_deverr_init_, true),
        qom::prop::boolean("x-pcie-lnkctl-init", &P::x_pcie_lnkctl_init_, true),
        qom::prop::boolean("x-pcie-pm-init", &P::x_pcie_pm_init_, true),
        qom::prop::boolean("x-pcie-flr-init", &P::x_pcie_flr_init_, true),
        qom::prop::boolean("aer", &P::aer_, false),
    };
}

std::vector<qom::Property> VirtioPciProxy::mode_properties() {
    return {
        qom::prop::on_off_auto("disable-legacy", &VirtioPciProxy::disable_legacy_,
                               qom::OnOffAuto::kAuto),
        qom::prop::boolean("disable-modern", &VirtioPciProxy::disable_modern_, false)
            .without_type_description(),
    };
}

namespace {

// A property of the device reached through the function: values are parsed
// and printed as the device's own (errors name "virtio-blk-device.drive",
// and a drive is claimed by the device), as QEMU's alias properties.
class AliasType : public qom::PropertyType {
  public:
    explicit AliasType(std::shared_ptr<const qom::PropertyType> inner) : inner_(std::move(inner)) {}
    std::string_view name() const override { return inner_->name(); }
    std::string description() const override { return inner_->description(); }
    void parse(const qom::PropertySlot& slot, std::string_view text) const override {
        inner_->parse(target(slot), text);
    }
    void set(const qom::PropertySlot& slot, const nlohmann::json& value) const override {
        inner_->set(target(slot), value);
    }
    nlohmann::json get(const qom::PropertySlot& slot) const override {
        return inner_->get(target(slot));
    }
    std::string print(const qom::PropertySlot& slot) const override {
        return inner_->print(target(slot));
    }
    void set_default(const qom::PropertySlot& slot, const qom::DefaultValue& value) const override {
        inner_->set_default(target(slot), value);
    }

  private:
    static qom::PropertySlot target(const qom::PropertySlot& slot) {
        auto& proxy = dynamic_cast<const VirtioPciProxy&>(slot.object);
        return {proxy.vdev(), slot.property, slot.field};
    }
    std::shared_ptr<const qom::PropertyType> inner_;
};

}  // namespace

std::vector<qom::Property> VirtioPciProxy::aliases(std::vector<qom::Property> properties) {
    for (qom::Property& p : properties) {
        p.type = std::make_shared<AliasType>(p.type);
        p.field = [inner = p.field](qom::Object& object) -> void* {
            auto& proxy = dynamic_cast<VirtioPciProxy&>(object);
            return inner(proxy.vdev());
        };
        p.in_qtree = false;
    }
    return properties;
}

qom::Property VirtioPciProxy::backend_child_property(const std::string& backend_type) {
    return unsettable("virtio-backend", "child<" + backend_type + ">",
                      "Property 'virtio-backend' is read-only");
}

qom::Property VirtioPciProxy::iothread_property() {
    return unsettable("iothread", "link<iothread>", "iothread= is not supported yet");
}

VirtioPciProxy::VirtioPciProxy(const std::string& backend_type, Flavor flavor) : flavor_(flavor) {
    virtio_bus_ = &add_bus(kTypeVirtioPciBus, "virtio-bus");
    virtio_bus_->set_max_devices(1);
    const qom::Type* type = qom::TypeRegistry::instance().find(backend_type);
    if (!type) throw std::logic_error("virtio-pci: no type " + backend_type);
    auto& child = add_child("virtio-backend", type->instantiate());
    vdev_ = &dynamic_cast<VirtioDevice&>(child);
    vdev_->set_parent_bus(*virtio_bus_);
    vdev_->attach(this);
}

void VirtioPciProxy::add_vendor_cap(uint8_t type, uint64_t offset, uint32_t length,
                                    unsigned extra) {
    auto size = static_cast<uint8_t>(kCapSize + extra);
    uint8_t cap = add_capability(kCapIdVendor, 0, size);
    set_byte(static_cast<uint8_t>(cap + 2), size);
    set_byte(static_cast<uint8_t>(cap + 3), type);
    if (type == modern::kCapPciCfg) {
        pci_cfg_cap_ = cap;
        // The window: bar, offset, length and data are the driver's.
        set_wmask_byte(static_cast<uint8_t>(cap + kCapBar), 0xff);
        set_wmask_long(static_cast<uint8_t>(cap + kCapOffset), 0xffffffff);
        set_wmask_long(static_cast<uint8_t>(cap + kCapLength), 0xffffffff);
        set_wmask_long(static_cast<uint8_t>(cap + kPciCfgData), 0xffffffff);
        return;
    }
    set_byte(static_cast<uint8_t>(cap + kCapBar), kModernBar);
    set_long(static_cast<uint8_t>(cap + kCapOffset), static_cast<uint32_t>(offset));
    set_long(static_cast<uint8_t>(cap + kCapLength), length);
    if (type == modern::kCapNotify)
        set_long(static_cast<uint8_t>(cap + kCapSize), kNotifyOffMultiplier);
}

void VirtioPciProxy::pci_realize() {
    if (modern_pio_notify_) throw Error("modern-pio-notify=on is not supported yet");
    if (page_per_vq_) throw Error("page-per-vq=on is not supported yet");
    switch (flavor_) {
        case Flavor::kGeneric:
            // A conventional PCI bus (the pc's): "auto" keeps the legacy interface.
            legacy_ = disable_legacy_ != qom::OnOffAuto::kOn;
            modern_ = !disable_modern_;
            // `info qtree` shows what "auto" became, as QEMU.
            disable_legacy_ = legacy_ ? qom::OnOffAuto::kOff : qom::OnOffAuto::kOn;
            break;
        case Flavor::kTransitional:
            legacy_ = modern_ = true;
            break;
        case Flavor::kNonTransitional:
            legacy_ = false;
            modern_ = true;
            break;
    }
    if (!legacy_ && !modern_)
        throw Error(
            "device cannot work as neither modern nor legacy mode is enabled\n"
            "Set either disable-modern or disable-legacy to off");

    vdev_->realize();
    try {
        // Without VIRTIO_F_ACCESS_PLATFORM (iommu_platform=off, the only
        // mode offered) the device reaches guest memory past any IOMMU.
        memory_ = GuestMemory(host() ? &host()->dma_space() : nullptr);
        uint16_t id = vdev_->virtio_id();
        uint32_t klass = pci_class();
        if (legacy_) {
            set_ids({.vendor = kVendorRedHat,
                     .device = transitional_device_id(),
                     .revision = 0,
                     .class_code = klass,
                     .subsystem_vendor = kVendorRedHat,
                     .subsystem = id});
        } else {
            set_ids({.vendor = kVendorRedHat,
                     .device = static_cast<uint16_t>(0x1040 + id),
                     .revision = 1,
                     .class_code = klass});
        }
        set_interrupt_pin(1);

        uint32_t vectors = vectors_ == kVectorsAuto ? auto_vectors() : vectors_;
        if (vectors > Msix::kMaxVectors)
            throw Error("vectors={} is more than the {} MSI-X vectors supported", vectors,
                        Msix::kMaxVectors);
        queue_reset_pending_.assign(static_cast<size_t>(vdev_->num_queues()), false);

        if (modern_) {
            add_vendor_cap(modern::kCapCommon, modern::kCommonOffset, modern::kRegionSize, 0);
            add_vendor_cap(modern::kCapIsr, modern::kIsrOffset, modern::kRegionSize, 0);
            add_vendor_cap(modern::kCapDevice, modern::kDeviceOffset, modern::kRegionSize, 0);
            add_vendor_cap(modern::kCapNotify, modern::kNotifyOffset, modern::kRegionSize, 4);
            add_vendor_cap(modern::kCapPciCfg, 0, 0, 4);
            memory::MmioOps ops;
            ops.read = [this](uint64_t offset, unsigned size) { return modern_read(offset, size); };
            ops.write = [this](uint64_t offset, uint64_t value, unsigned size) {
                modern_write(offset, value, size);
            };
            ops.valid = {1, 8, false};
            ops.impl = {1, 4, false};
            modern_bar_.init_io("virtio-pci", kModernBarSize, std::move(ops));
            register_bar(kModernBar, kBarMem64 | kBarPrefetch, modern_bar_);
        }
        if (vectors > 0) {
            msix_.init(*this, vectors, kMsixBar, 0, [this](uint64_t address, uint32_t data) {
                // A message is a bus-master write: no bus mastering, no message.
                // Messages go through an IOMMU (interrupt remapping) even
                // where the rings, without VIRTIO_F_ACCESS_PLATFORM, bypass it.
                if (!(command() & kPciCommandMaster) || !host()) return;
                bus_master_space()->stl(address, data);
            });
        }
        if (legacy_) {
            uint64_t header = msix_.present() ? legacy::kHeaderSizeMsix : legacy::kHeaderSize;
            uint64_t size = 4;
            while (size < header + vdev_->config().size()) size <<= 1;
            memory::MmioOps ops;
            ops.read = [this](uint64_t offset, unsigned size) { return legacy_read(offset, size); };
            ops.write = [this](uint64_t offset, uint64_t value, unsigned size) {
                legacy_write(offset, value, size);
            };
            ops.valid = {1, 4, false};
            ops.impl = {1, 4, false};
            legacy_io_.init_io("virtio-pci", size, std::move(ops));
            register_bar(kLegacyBar, kBarIo, legacy_io_);
        }
    } catch (...) {
        vdev_->unrealize();
        throw;
    }
}

void VirtioPciProxy::pci_unrealize() {
    if (vdev_->realized()) vdev_->unrealize();
}

void VirtioPciProxy::reset_transport() {
    device_feature_select_ = driver_feature_select_ = 0;
    driver_features_ = 0;
    queue_select_ = 0;
    std::fill(queue_reset_pending_.begin(), queue_reset_pending_.end(), false);
}

void VirtioPciProxy::pci_reset() {
    vdev_->virtio_reset();
    reset_transport();
    if (msix_.present()) msix_.reset();
    set_irq(false);
}

void VirtioPciProxy::notify(uint16_t vector) {
    if (msix_enabled()) {
        if (vector != kNoVector) msix_.notify(vector);
        return;
    }
    // QEMU's rule: INTx follows ISR bit 0 (a config change sets both bits).
    set_irq(vdev_->isr() & kIsrQueue);
}

void VirtioPciProxy::write_status(uint8_t status, bool modern) {
    if (status == 0) {
        vdev_->virtio_reset();
        reset_transport();
        set_irq(false);
        return;
    }
    if (modern && (status & kStatusFeaturesOk) && !(vdev_->status() & kStatusFeaturesOk) &&
        !vdev_->set_guest_features(driver_features_, true))
        status = static_cast<uint8_t>(status & ~kStatusFeaturesOk);
    // Old Linux drivers forget bus mastering; QEMU turns it on for them.
    if (!modern && (status & kStatusDriverOk) && !(command() & kPciCommandMaster))
        set_word(pc::kCommand, static_cast<uint16_t>(command() | kPciCommandMaster));
    vdev_->set_status(status);
}

// ---------------------------------------------------------------------------
// Legacy I/O BAR

uint64_t VirtioPciProxy::device_config_read(uint64_t offset, unsigned size) const {
    std::vector<uint8_t> config = vdev_->config();
    if (offset + size > config.size()) return size == 4 ? 0xffffffffu : (1ull << (8 * size)) - 1;
    return read_bytes(config, offset, size);
}

uint64_t VirtioPciProxy::legacy_read(uint64_t offset, unsigned size) {
    uint64_t header = msix_enabled() ? legacy::kHeaderSizeMsix : legacy::kHeaderSize;
    if (offset >= header) return device_config_read(offset - header, size);
    int sel = queue_select_;
    bool queue_exists = sel < vdev_->num_queues();
    switch (offset) {
        case legacy::kHostFeatures:
            return static_cast<uint32_t>(vdev_->host_features(false));
        case legacy::kGuestFeatures:
            return static_cast<uint32_t>(vdev_->guest_features());
        case legacy::kQueuePfn:
            return queue_exists ? vdev_->queue(sel).legacy_pfn() : 0;
        case legacy::kQueueSize:
            return queue_exists ? vdev_->queue(sel).size() : 0;
        case legacy::kQueueSelect:
            return queue_select_;
        case legacy::kStatus:
            return vdev_->status();
        case legacy::kIsr:
            return vdev_->take_isr();
        case legacy::kConfigVector:
            return vdev_->config_vector();
        case legacy::kQueueVector:
            return queue_exists ? vdev_->queue(sel).vector() : kNoVector;
        default:
            return 0;
    }
}

void VirtioPciProxy::legacy_write(uint64_t offset, uint64_t value, unsigned size) {
    uint64_t header = msix_enabled() ? legacy::kHeaderSizeMsix : legacy::kHeaderSize;
    if (offset >= header) {
        if (offset - header + size <= vdev_->config().size())
            vdev_->write_config(static_cast<unsigned>(offset - header), value, size);
        return;
    }
    int sel = queue_select_;
    bool queue_exists = sel < vdev_->num_queues();
    auto vector = static_cast<uint16_t>(value);
    if (vector != kNoVector && vector >= msix_.vectors()) vector = kNoVector;
    switch (offset) {
        case legacy::kGuestFeatures:
            vdev_->set_guest_features(static_cast<uint32_t>(value), false);
            break;
        case legacy::kQueuePfn:
            if (value == 0) {
                // As QEMU: tearing a queue down resets the device.
                write_status(0, false);  // the MSI-X table stays as the driver set it
            } else if (queue_exists) {
                vdev_->queue(sel).set_legacy_pfn(static_cast<uint32_t>(value));
                vdev_->queue(sel).set_features(vdev_->has_feature(kFIndirectDesc),
                                               vdev_->has_feature(kFEventIdx));
            }
            break;
        case legacy::kQueueSelect:
            queue_select_ = static_cast<uint16_t>(value);
            break;
        case legacy::kQueueNotify:
            vdev_->queue_notified(static_cast<uint16_t>(value));
            break;
        case legacy::kStatus:
            write_status(static_cast<uint8_t>(value), false);
            break;
        case legacy::kConfigVector:
            if (msix_enabled()) vdev_->set_config_vector(vector);
            break;
        case legacy::kQueueVector:
            if (msix_enabled() && queue_exists) vdev_->queue(sel).set_vector(vector);
            break;
        default:
            MIMIC_LOG(log::kGuestErrors, "{}: write to legacy register 0x{:x}\n", type_name(),
                      offset);
            break;
    }
}

// ---------------------------------------------------------------------------
// Modern BAR: common, ISR, device and notify structures

uint64_t VirtioPciProxy::common_read(uint64_t offset, unsigned) {
    int sel = queue_select_;
    bool queue_exists = sel < vdev_->num_queues();
    Virtqueue* q = queue_exists ? &vdev_->queue(sel) : nullptr;
    // As QEMU, a field reads the same whatever the access size.
    switch (offset) {
        case modern::kDeviceFeatureSelect:
            return device_feature_select_;
        case modern::kDeviceFeature:
            return device_feature_select_ < 2 ? static_cast<uint32_t>(vdev_->host_features(true) >>
                                                                      (32 * device_feature_select_))
                                              : 0;
        case modern::kDriverFeatureSelect:
            return driver_feature_select_;
        case modern::kDriverFeature:
            return driver_feature_select_ < 2
                       ? static_cast<uint32_t>(driver_features_ >> (32 * driver_feature_select_))
                       : 0;
        case modern::kMsixConfig:
            return vdev_->config_vector();
        case modern::kNumQueues:
            return static_cast<uint64_t>(vdev_->num_queues());
        case modern::kDeviceStatus:
            return vdev_->status();
        case modern::kConfigGeneration:
            return vdev_->config_generation();
        case modern::kQueueSelect:
            return queue_select_;
        case modern::kQueueSize:
            return q ? q->size() : 0;
        case modern::kQueueMsixVector:
            return q ? q->vector() : kNoVector;
        case modern::kQueueEnable:
            return q && q->enabled() ? 1 : 0;
        case modern::kQueueNotifyOff:
            return static_cast<uint64_t>(sel);
        case modern::kQueueDescLo:
            return q ? static_cast<uint32_t>(q->desc()) : 0;
        case modern::kQueueDescHi:
            return q ? static_cast<uint32_t>(q->desc() >> 32) : 0;
        case modern::kQueueAvailLo:
            return q ? static_cast<uint32_t>(q->avail()) : 0;
        case modern::kQueueAvailHi:
            return q ? static_cast<uint32_t>(q->avail() >> 32) : 0;
        case modern::kQueueUsedLo:
            return q ? static_cast<uint32_t>(q->used()) : 0;
        case modern::kQueueUsedHi:
            return q ? static_cast<uint32_t>(q->used() >> 32) : 0;
        case modern::kQueueReset:
            return queue_exists && queue_reset_pending_[static_cast<size_t>(sel)] ? 1 : 0;
        default:
            return 0;
    }
}

void VirtioPciProxy::common_write(uint64_t offset, uint64_t value, unsigned) {
    int sel = queue_select_;
    bool queue_exists = sel < vdev_->num_queues();
    Virtqueue* q = queue_exists ? &vdev_->queue(sel) : nullptr;
    auto vector = static_cast<uint16_t>(value);
    if (vector != kNoVector && vector >= msix_.vectors()) vector = kNoVector;
    auto low = [](uint64_t old, uint64_t v) {
        return (old & ~uint64_t{0xffffffff}) | (v & 0xffffffff);
    };
    auto high = [](uint64_t old, uint64_t v) {
        return (old & 0xffffffff) | (v & 0xffffffff) << 32;
    };
    switch (offset) {
        case modern::kDeviceFeatureSelect:
            device_feature_select_ = static_cast<uint32_t>(value);
            break;
        case modern::kDriverFeatureSelect:
            driver_feature_select_ = static_cast<uint32_t>(value);
            break;
        case modern::kDriverFeature:
            if (driver_feature_select_ == 0)
                driver_features_ = low(driver_features_, value);
            else if (driver_feature_select_ == 1)
                driver_features_ = high(driver_features_, value);
            break;
        case modern::kMsixConfig:
            vdev_->set_config_vector(vector);
            break;
        case modern::kDeviceStatus:
            write_status(static_cast<uint8_t>(value), true);
            break;
        case modern::kQueueSelect:
            queue_select_ = static_cast<uint16_t>(value);
            break;
        case modern::kQueueSize:
            // Any size up to the maximum; 0 and larger ones are ignored.
            if (q && value != 0 && value <= q->max_size())
                q->set_size(static_cast<uint16_t>(value));
            break;
        case modern::kQueueMsixVector:
            if (q) q->set_vector(vector);
            break;
        case modern::kQueueEnable:
            if (q && value == 1) {
                q->set_features(vdev_->has_feature(kFIndirectDesc), vdev_->has_feature(kFEventIdx));
                q->set_enabled(true);
                queue_reset_pending_[static_cast<size_t>(sel)] = false;
            }
            break;
        case modern::kQueueDescLo:
            if (q) q->set_desc(low(q->desc(), value));
            break;
        case modern::kQueueDescHi:
            if (q) q->set_desc(high(q->desc(), value));
            break;
        case modern::kQueueAvailLo:
            if (q) q->set_avail(low(q->avail(), value));
            break;
        case modern::kQueueAvailHi:
            if (q) q->set_avail(high(q->avail(), value));
            break;
        case modern::kQueueUsedLo:
            if (q) q->set_used(low(q->used(), value));
            break;
        case modern::kQueueUsedHi:
            if (q) q->set_used(high(q->used(), value));
            break;
        case modern::kQueueReset:
            if (q && value == 1 && vdev_->has_feature(kFRingReset)) {
                vdev_->reset_queue(sel);
                queue_reset_pending_[static_cast<size_t>(sel)] = true;
            }
            break;
        default:
            MIMIC_LOG(log::kGuestErrors, "{}: write to common configuration 0x{:x}\n", type_name(),
                      offset);
            break;
    }
}

uint64_t VirtioPciProxy::modern_read(uint64_t offset, unsigned size) {
    if (offset < modern::kIsrOffset) return common_read(offset, size);
    if (offset < modern::kDeviceOffset) return vdev_->take_isr();
    if (offset < modern::kNotifyOffset)
        return device_config_read(offset - modern::kDeviceOffset, size);
    return 0;
}

void VirtioPciProxy::modern_write(uint64_t offset, uint64_t value, unsigned size) {
    if (offset < modern::kIsrOffset) {
        common_write(offset, value, size);
    } else if (offset < modern::kDeviceOffset) {
        // The ISR is read-only.
    } else if (offset < modern::kNotifyOffset) {
        uint64_t at = offset - modern::kDeviceOffset;
        if (at + size <= vdev_->config().size())
            vdev_->write_config(static_cast<unsigned>(at), value, size);
    } else {
        vdev_->queue_notified(
            static_cast<int>((offset - modern::kNotifyOffset) / kNotifyOffMultiplier));
    }
}

// ---------------------------------------------------------------------------
// Configuration space: the PCI-configuration access capability and MSI-X

uint32_t VirtioPciProxy::config_read(uint8_t offset, unsigned size) {
    if (pci_cfg_cap_ && offset >= pci_cfg_cap_ + kPciCfgData &&
        offset < pci_cfg_cap_ + kPciCfgData + 4) {
        // Reading the data field performs the BAR read the window names.
        uint8_t bar = get_byte(static_cast<uint8_t>(pci_cfg_cap_ + kCapBar));
        uint32_t at = get_long(static_cast<uint8_t>(pci_cfg_cap_ + kCapOffset));
        uint32_t len = get_long(static_cast<uint8_t>(pci_cfg_cap_ + kCapLength));
        if (bar == kModernBar && (len == 1 || len == 2 || len == 4) && at % len == 0 &&
            uint64_t{at} + len <= kModernBarSize)
            set_long(static_cast<uint8_t>(pci_cfg_cap_ + kPciCfgData),
                     static_cast<uint32_t>(modern_read(at, len)));
    }
    return PciDevice::config_read(offset, size);
}

void VirtioPciProxy::config_write(uint8_t offset, uint32_t value, unsigned size) {
    PciDevice::config_write(offset, value, size);
    if (pci_cfg_cap_ && offset >= pci_cfg_cap_ + kPciCfgData &&
        offset < pci_cfg_cap_ + kPciCfgData + 4) {
        uint8_t bar = get_byte(static_cast<uint8_t>(pci_cfg_cap_ + kCapBar));
        uint32_t at = get_long(static_cast<uint8_t>(pci_cfg_cap_ + kCapOffset));
        uint32_t len = get_long(static_cast<uint8_t>(pci_cfg_cap_ + kCapLength));
        if (bar == kModernBar && (len == 1 || len == 2 || len == 4) && at % len == 0 &&
            uint64_t{at} + len <= kModernBarSize) {
            uint32_t data = get_long(static_cast<uint8_t>(pci_cfg_cap_ + kPciCfgData));
            modern_write(at, len == 4 ? data : data & ((1u << (8 * len)) - 1), len);
        }
    }
}

void VirtioPciProxy::config_written(uint8_t, uint32_t, unsigned) {
    if (!msix_.present()) return;
    // MSI-X on means INTx off; unmasking may release pending messages.
    if (msix_enabled())
        set_irq(false);
    else
        set_irq(vdev_->isr() & kIsrQueue);
    msix_.config_written();
}

}  // namespace mimic::hw::virtio
