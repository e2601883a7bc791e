// virtio-rng: "virtio-rng-device" (virtio ID 4, one 8-entry queue, no
// configuration) and its PCI functions "virtio-rng-pci" (1af4:1005, class
// 00ff), "-transitional" and "-non-transitional", as QEMU 7.2 has them.
// Each buffer the guest offers is filled from the rng= back end (an
// rng-random or rng-builtin object; without one, a built-in source as
// QEMU creates), at most 64 KiB per buffer so no guest length sizes the
// work.
#include <sys/random.h>

#include <algorithm>
#include <array>
#include <cstdint>
#include <limits>
#include <nlohmann/json.hpp>

#include "mimic/hw/machine.h"
#include "mimic/qom/property.h"
#include "mimic/qom/rng_backend.h"
#include "mimic/qom/type.h"
#include "mimic/util/error.h"
#include "virtio_device.h"
#include "virtio_pci.h"

namespace mimic::hw::virtio {
namespace {

constexpr uint16_t kVirtioIdRng = 4;
constexpr uint64_t kMaxPerBuffer = 64 * 1024;
constexpr uint64_t kMaxBytesUnlimited = std::numeric_limits<int64_t>::max();

class VirtioRngDevice : public VirtioDevice {
  public:
    uint16_t virtio_id() const override { return kVirtioIdRng; }
    std::vector<uint8_t> config() const override { return {}; }

    std::string rng_;  // the back end's id
    uint64_t max_bytes_ = kMaxBytesUnlimited;
    uint32_t period_ = 1 << 16;

    static std::vector<qom::Property> properties() {
        using D = VirtioRngDevice;
        qom::Property rng = qom::prop::string("rng", &D::rng_);
        rng.in_qtree = false;  // a link, which QEMU's qtree leaves out
        rng.type = link_type();
        return {
            std::move(rng),
            qom::prop::uint64("max-bytes", &D::max_bytes_, kMaxBytesUnlimited),
            qom::prop::uint32("period", &D::period_, 1 << 16),
        };
    }

  protected:
    uint64_t device_features(bool) const override { return 0; }

    void do_realize() override {
        VirtioDevice::do_realize();
        // Rate limiting needs a timer the device does not have yet.
        if (max_bytes_ != kMaxBytesUnlimited)
            throw Error("max-bytes= (rate limiting) is not supported yet");
        if (period_ == 0) throw Error("'period' parameter expects a positive integer");
        backend_ = nullptr;
        if (!rng_.empty()) {
            Machine* machine = Machine::of(*this);
            backend_ = machine ? qom::find_rng_backend(*machine, rng_) : nullptr;
            if (!backend_) throw Error("Device '{}' not found", rng_);
        }
        clear_queues();
        add_queue(8);
    }
    void do_unrealize() override { clear_queues(); }

    void handle_queue(int index) override {
        Virtqueue& q = queue(index);
        std::array<uint8_t, 4096> chunk;
        while (auto element = q.pop(memory())) {
            const Element& e = *element;
            uint64_t want = std::min(e.in_bytes, kMaxPerBuffer), done = 0;
            while (done < want) {
                size_t n = read(chunk.data(),
                                static_cast<size_t>(std::min<uint64_t>(want - done, chunk.size())));
                if (n == 0) break;
                if (!e.write_in(memory(), done, chunk.data(), n))
                    throw VirtqueueError("buffer is not in RAM");
                done += n;
            }
            complete(index, e, static_cast<uint32_t>(done));
        }
    }

  private:
    // The property's type as QEMU names it in help: link<rng-backend>.
    static std::shared_ptr<const qom::PropertyType> link_type();

    size_t read(uint8_t* buf, size_t len) {
        if (backend_) return backend_->read(buf, len);
        ssize_t n = getrandom(buf, len, 0);
        return n > 0 ? static_cast<size_t>(n) : 0;
    }

    qom::RngBackend* backend_ = nullptr;
};

// A string holding an object id, shown as link<rng-backend>.
class RngLinkType : public qom::PropertyType {
  public:
    explicit RngLinkType(std::shared_ptr<const qom::PropertyType> string)
        : string_(std::move(string)) {}
    std::string_view name() const override { return "link<rng-backend>"; }
    void parse(const qom::PropertySlot& slot, std::string_view text) const override {
        string_->parse(slot, text);
    }
    void set(const qom::PropertySlot& slot, const nlohmann::json& value) const override {
        string_->set(slot, value);
    }
    nlohmann::json get(const qom::PropertySlot& slot) const override { return string_->get(slot); }
    std::string print(const qom::PropertySlot& slot) const override { return string_->print(slot); }
    void set_default(const qom::PropertySlot& slot, const qom::DefaultValue& value) const override {
        string_->set_default(slot, value);
    }

  private:
    std::shared_ptr<const qom::PropertyType> string_;
};

std::shared_ptr<const qom::PropertyType> VirtioRngDevice::link_type() {
    return std::make_shared<RngLinkType>(qom::string_type());
}

MIMIC_REGISTER_TYPE({
    .name = "virtio-rng-device",
    .parent = kTypeVirtioDevice,
    .factory = qom::factory_of<VirtioRngDevice>(),
    .properties = VirtioRngDevice::properties(),
    .categories = {qom::DeviceCategory::kMisc},
});

class VirtioRngPci : public VirtioPciProxy {
  public:
    explicit VirtioRngPci(Flavor flavor = Flavor::kGeneric)
        : VirtioPciProxy("virtio-rng-device", flavor) {}

  protected:
    uint16_t transitional_device_id() const override { return 0x1005; }
    uint32_t pci_class() const override { return 0x00ff00; }
    std::string boot_suffix() const override { return {}; }
    void pci_realize() override {
        VirtioPciProxy::pci_realize();
        if (vectors_ == kVectorsAuto) vectors_ = auto_vectors();
    }
};

std::vector<qom::Property> rng_pci_base_properties() {
    std::vector<qom::Property> props = {
        qom::prop::boolean("ioeventfd", &VirtioPciProxy::ioeventfd_, true),
        qom::prop::uint32("vectors", &VirtioPciProxy::vectors_, VirtioPciProxy::kVectorsAuto),
    };
    props.push_back(VirtioPciProxy::backend_child_property("virtio-rng-device"));
    for (qom::Property& p : VirtioPciProxy::aliases(VirtioRngDevice::properties()))
        props.push_back(std::move(p));
    for (qom::Property& p : VirtioPciProxy::aliases(VirtioDevice::common_properties()))
        props.push_back(std::move(p));
    return props;
}

template <VirtioPciProxy::Flavor flavor>
qom::Factory rng_factory() {
    return [] { return std::unique_ptr<qom::Object>(new VirtioRngPci(flavor)); };
}

MIMIC_REGISTER_TYPE({
    .name = "virtio-rng-pci-base",
    .parent = kTypeVirtioPci,
    .abstract = true,
    .properties = rng_pci_base_properties(),
});

MIMIC_REGISTER_TYPE({
    .name = "virtio-rng-pci",
    .parent = "virtio-rng-pci-base",
    .factory = rng_factory<VirtioPciProxy::Flavor::kGeneric>(),
    .properties = VirtioPciProxy::mode_properties(),
    .categories = {qom::DeviceCategory::kMisc},
    .alias = "virtio-rng",
});

MIMIC_REGISTER_TYPE({
    .name = "virtio-rng-pci-transitional",
    .parent = "virtio-rng-pci-base",
    .factory = rng_factory<VirtioPciProxy::Flavor::kTransitional>(),
    .categories = {qom::DeviceCategory::kMisc},
});

MIMIC_REGISTER_TYPE({
    .name = "virtio-rng-pci-non-transitional",
    .parent = "virtio-rng-pci-base",
    .factory = rng_factory<VirtioPciProxy::Flavor::kNonTransitional>(),
    .categories = {qom::DeviceCategory::kMisc},
});

}  // namespace
}  // namespace mimic::hw::virtio
