// The transport-independent half of a virtio device ("virtio-device", on a
// "virtio-bus"): status, feature negotiation, virtqueues, the ISR and the
// device-specific configuration space. Device models (virtio-blk-device)
// derive from it; a transport (virtio_pci.h) owns the device as its child
// and forwards the guest's register accesses here.
//
// A malformed ring never reaches the host: the queue walk raises
// VirtqueueError, the device logs it (-d guest_errors), stops processing
// and, for a virtio 1.x driver, sets DEVICE_NEEDS_RESET and signals a
// configuration change, as QEMU's virtio_error() does.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "guest_memory.h"
#include "mimic/qom/bus.h"
#include "mimic/qom/device.h"
#include "mimic/qom/property.h"
#include "virtio_regs.h"
#include "virtqueue.h"

namespace mimic::hw::virtio {

inline constexpr const char* kTypeVirtioDevice = "virtio-device";
inline constexpr const char* kTypeVirtioBus = "virtio-bus";
inline constexpr const char* kTypeVirtioPciBus = "virtio-pci-bus";

// What the device needs from its transport.
class Transport {
  public:
    virtual ~Transport() = default;
    // Raise interrupt `vector` (MSI-X) or re-evaluate INTx from the ISR.
    virtual void notify(uint16_t vector) = 0;
    // Guest RAM as the transport's bus master sees it.
    virtual const GuestMemory& memory() const = 0;
};

class VirtioDevice : public qom::Device {
  public:
    // The virtio device ID (2: block, 4: entropy, 1: network).
    virtual uint16_t virtio_id() const = 0;

    void attach(Transport* transport) { transport_ = transport; }

    // Features offered: the device's plus the ring's, as the transport
    // presents them (`modern` adds VERSION_1 and RING_RESET; a legacy-only
    // view adds ANY_LAYOUT/NOTIFY_ON_EMPTY/BAD_FEATURE as QEMU does).
    uint64_t host_features(bool modern) const;
    uint64_t guest_features() const { return guest_features_; }
    bool has_feature(int bit) const { return guest_features_ >> bit & 1; }
    // Takes the driver's features (legacy: at each write; modern: at
    // FEATURES_OK). False when it asked for something not offered.
    bool set_guest_features(uint64_t features, bool modern);

    uint8_t status() const { return status_; }
    // A status write (the transport has checked FEATURES_OK); 0 resets.
    void set_status(uint8_t status);
    // The whole virtio reset: status, features, queues, ISR, vectors.
    void virtio_reset();

    int num_queues() const { return static_cast<int>(queues_.size()); }
    Virtqueue& queue(int index) { return queues_.at(static_cast<size_t>(index)); }
    // The driver kicked queue `index`.
    void queue_notified(int index);
    // VIRTIO_F_RING_RESET: one queue back to its reset state.
    void reset_queue(int index);

    uint8_t isr() const { return isr_; }
    // ISR reads clear it.
    uint8_t take_isr();
    uint16_t config_vector() const { return config_vector_; }
    void set_config_vector(uint16_t vector) { config_vector_ = vector; }
    uint8_t config_generation() const { return config_generation_; }

    // Device-specific configuration, as bytes (little-endian fields).
    virtual std::vector<uint8_t> config() const = 0;
    virtual void write_config(unsigned offset, uint64_t value, unsigned size) {
        (void)offset, (void)value, (void)size;
    }

    bool broken() const { return broken_; }

    // Properties every virtio device has (QEMU's DEFINE_VIRTIO_COMMON_FEATURES
    // and virtio-device's own).
    bool indirect_desc_ = true;
    bool event_idx_ = true;
    bool notify_on_empty_ = true;
    bool any_layout_ = true;
    bool iommu_platform_ = false;
    bool packed_ = false;
    bool queue_reset_ = true;
    bool use_started_ = true;
    bool use_disabled_flag_ = true;
    bool x_disable_legacy_check_ = false;
    static std::vector<qom::Property> common_properties();

  protected:
    // Device-specific feature bits (0-23 and 41+).
    virtual uint64_t device_features(bool modern) const = 0;
    // Work on a kicked queue; may throw VirtqueueError.
    virtual void handle_queue(int index) = 0;
    virtual void device_reset() {}

    void add_queue(uint16_t size);
    void clear_queues() { queues_.clear(); }
    const GuestMemory& memory() const;
    // Completes `element` with `written` bytes and interrupts if due.
    void complete(int queue_index, const Element& element, uint32_t written);
    // A malformed request or ring: log, stop, ask for a reset.
    void mark_broken(const std::string& why);
    // Signals a configuration change (ISR bit 1, config vector).
    void notify_config();

    void do_realize() override;
    void do_reset() override { virtio_reset(); }

  private:
    Transport* transport_ = nullptr;
    std::vector<Virtqueue> queues_;
    uint64_t guest_features_ = 0;
    uint8_t status_ = 0;
    uint8_t isr_ = 0;
    uint16_t config_vector_ = kNoVector;
    uint8_t config_generation_ = 0;
    bool broken_ = false;
};

// The bus a transport gives its device: one device, not user-pluggable.
class VirtioBus : public qom::Bus {};

}  // namespace mimic::hw::virtio
