#include "virtio_device.h"

#include "mimic/qom/property.h"
#include "mimic/qom/type.h"
#include "mimic/util/error.h"
#include "mimic/util/log.h"
#include "virtio_regs.h"

namespace mimic::hw::virtio {

MIMIC_REGISTER_TYPE({
    .name = kTypeVirtioBus,
    .parent = qom::kTypeBus,
    .abstract = true,
});

MIMIC_REGISTER_TYPE({
    .name = kTypeVirtioPciBus,
    .parent = kTypeVirtioBus,
    .factory = qom::factory_of<VirtioBus>(),
});

MIMIC_REGISTER_TYPE({
    .name = kTypeVirtioDevice,
    .parent = qom::kTypeDevice,
    .abstract = true,
    .properties = VirtioDevice::common_properties(),
    .bus_type = kTypeVirtioBus,
});

std::vector<qom::Property> VirtioDevice::common_properties() {
    return {
        qom::prop::boolean("indirect_desc", &VirtioDevice::indirect_desc_, true),
        qom::prop::boolean("event_idx", &VirtioDevice::event_idx_, true),
        qom::prop::boolean("notify_on_empty", &VirtioDevice::notify_on_empty_, true),
        qom::prop::boolean("any_layout", &VirtioDevice::any_layout_, true),
        qom::prop::boolean("iommu_platform", &VirtioDevice::iommu_platform_, false),
        qom::prop::boolean("packed", &VirtioDevice::packed_, false),
        qom::prop::boolean("queue_reset", &VirtioDevice::queue_reset_, true),
        qom::prop::boolean("use-started", &VirtioDevice::use_started_, true)
            .without_type_description(),
        qom::prop::boolean("use-disabled-flag", &VirtioDevice::use_disabled_flag_, true)
            .without_type_description(),
        qom::prop::boolean("x-disable-legacy-check", &VirtioDevice::x_disable_legacy_check_, false)
            .without_type_description(),
    };
}

uint64_t VirtioDevice::host_features(bool modern) const {
    uint64_t features = device_features(modern);
    if (indirect_desc_) features |= bit(kFIndirectDesc);
    if (event_idx_) features |= bit(kFEventIdx);
    if (modern) {
        features |= bit(kFVersion1);
        if (queue_reset_) features |= bit(kFRingReset);
    } else {
        // Legacy-only bits; a virtio 1 driver never sees them.
        if (notify_on_empty_) features |= bit(kFNotifyOnEmpty);
        if (any_layout_) features |= bit(kFAnyLayout);
        features |= bit(kFBadFeature);
    }
    return features;
}

bool VirtioDevice::set_guest_features(uint64_t features, bool modern) {
    uint64_t offered = host_features(modern) & ~bit(kFBadFeature);
    bool ok = (features & ~offered) == 0;
    guest_features_ = features & offered;
    for (Virtqueue& q : queues_)
        q.set_features(has_feature(kFIndirectDesc), has_feature(kFEventIdx));
    return ok;
}

void VirtioDevice::set_status(uint8_t status) {
    if (status == 0) {
        virtio_reset();
        return;
    }
    // The device keeps NEEDS_RESET; the driver cannot clear it but by reset.
    status_ = static_cast<uint8_t>(status | (status_ & kStatusNeedsReset));
    if (status_ & kStatusDriverOk) {
        for (int i = 0; i < num_queues(); ++i) queue_notified(i);
    }
}

void VirtioDevice::virtio_reset() {
    status_ = 0;
    guest_features_ = 0;
    isr_ = 0;
    config_vector_ = kNoVector;
    broken_ = false;
    for (Virtqueue& q : queues_) q.reset();
    device_reset();
    if (transport_) transport_->notify(kNoVector);
}

void VirtioDevice::reset_queue(int index) {
    if (index < 0 || index >= num_queues()) return;
    queue(index).reset();
    queue(index).set_features(has_feature(kFIndirectDesc), has_feature(kFEventIdx));
}

uint8_t VirtioDevice::take_isr() {
    uint8_t value = isr_;
    isr_ = 0;
    if (transport_) transport_->notify(kNoVector);
    return value;
}

void VirtioDevice::add_queue(uint16_t size) {
    Virtqueue q;
    q.set_max_size(size);
    q.reset();
    queues_.push_back(q);
}

const GuestMemory& VirtioDevice::memory() const {
    static const GuestMemory none;
    return transport_ ? transport_->memory() : none;
}

void VirtioDevice::queue_notified(int index) {
    if (broken_ || index < 0 || index >= num_queues() || !(status_ & kStatusDriverOk)) return;
    if (!queue(index).ready()) return;
    try {
        handle_queue(index);
    } catch (const VirtqueueError& e) {
        mark_broken(e.what());
    }
}

void VirtioDevice::complete(int queue_index, const Element& element, uint32_t written) {
    Virtqueue& q = queue(queue_index);
    q.push(memory(), element, written);
    if (q.should_notify(memory(), has_feature(kFNotifyOnEmpty))) {
        isr_ |= kIsrQueue;
        if (transport_) transport_->notify(q.vector());
    }
}

void VirtioDevice::mark_broken(const std::string& why) {
    MIMIC_LOG(log::kGuestErrors, "{}: {}\n", type_name(), why);
    broken_ = true;
    if (has_feature(kFVersion1)) {
        status_ |= kStatusNeedsReset;
        notify_config();
    }
}

void VirtioDevice::notify_config() {
    if (!(status_ & kStatusDriverOk)) return;
    ++config_generation_;
    // QEMU sets both ISR bits, so INTx (which follows bit 0) signals it too.
    isr_ |= kIsrQueue | kIsrConfig;
    if (transport_) transport_->notify(config_vector_);
}

void VirtioDevice::do_realize() {
    if (packed_) throw Error("packed virtqueues (packed=on) are not supported yet");
    if (iommu_platform_)
        throw Error("iommu_platform=on needs an IOMMU, which this machine does not have");
}

}  // namespace mimic::hw::virtio
