// The "IDE" bus and the drives that plug into it: "ide-hd" and "ide-cd",
// with QEMU 7.2's properties. The bus belongs to a controller (a PIIX
// channel, an AHCI port), which the device hands its back end at realize.
// QEMU 6.0 removed "ide-drive"; 7.2 has none, so neither has Mimic.
#include <nlohmann/json.hpp>

#include <memory>

#include "mimic/hw/block_conf.h"
#include "mimic/hw/boot_device.h"
#include "mimic/hw/ide.h"
#include "mimic/qom/backend_registry.h"
#include "mimic/qom/device.h"
#include "mimic/qom/device_add.h"
#include "mimic/qom/property.h"
#include "mimic/qom/type.h"
#include "mimic/system/drives.h"
#include "mimic/qom/machine.h"
#include "mimic/util/error.h"

namespace mimic::hw {
namespace {

constexpr const char* kTypeIdeDevice = "ide-device";
constexpr uint32_t kUnitAuto = 0xffffffff;

using OnError = BlockErrorPolicy;
enum class ChsTranslation { kAuto, kNone, kLba, kLarge, kRechs };

class IdeDevice : public qom::Device, public BootDevice, public BlockConf {
public:
    int32_t bootindex() const override { return bootindex_; }
    std::string boot_device_path() const override {
        auto* bus = dynamic_cast<IdeBus*>(parent_bus());
        if (!bus || !bus->owner()) return {};
        return fmt::format("{}/drive@{:x}/disk@{}", bus->owner()->ide_fw_dev_path(), bus->index(), unit_);
    }

    static std::vector<qom::Property> common_properties();

protected:
    virtual bool is_cdrom() const = 0;

    // What the properties ask of the drive, checked as QEMU checks them.
    IdeDeviceSettings settings() const {
        for (OnError policy : {rerror_, werror_}) {
            if (policy != OnError::kAuto && policy != OnError::kReport)
                throw Error("IDE error policies other than report (rerror/werror={}) are not supported yet",
                            policy == OnError::kIgnore ? "ignore" : policy == OnError::kStop ? "stop" : "enospc");
        }
        IdeDeviceSettings settings;
        settings.serial = serial_;
        settings.model = model_;
        settings.version = version_;
        settings.wwn = wwn_;
        if (!is_cdrom()) {
            if (cyls_ || heads_ || secs_) {
                if (cyls_ < 1 || cyls_ > 65535) throw Error("cyls must be between 1 and 65535");
                if (heads_ < 1 || heads_ > 16) throw Error("heads must be between 1 and 16");
                if (secs_ < 1 || secs_ > 255) throw Error("secs must be between 1 and 255");
                settings.cylinders = cyls_;
                settings.heads = heads_;
                settings.sectors = secs_;
            }
            settings.rotation_rate = rotation_rate_;
        }
        if (physical_block_size_) {
            check_block_size("physical_block_size", physical_block_size_);
            while ((512u << settings.physical_block_exponent) < physical_block_size_) ++settings.physical_block_exponent;
        }
        if (write_cache_ != qom::OnOffAuto::kAuto) settings.write_cache = write_cache_ == qom::OnOffAuto::kOn;
        return settings;
    }

    void do_realize() override {
        auto* bus = dynamic_cast<IdeBus*>(parent_bus());
        if (!bus || !bus->owner()) throw Error("IDE device is not on an IDE bus");
        if (unit_ == kUnitAuto) unit_ = bus->units[0] ? 1 : 0;
        if (unit_ >= static_cast<uint32_t>(bus->max_units()))
            throw Error("Can't create IDE unit {}, bus supports only {} units", unit_, bus->max_units());
        if (bus->units[unit_]) throw Error("IDE unit {} is in use", unit_);

        auto* info = drive_.get<system::DriveInfo>();
        if (!info) {
            if (!is_cdrom()) throw Error("No drive specified");
            // An empty CD-ROM drive, as QEMU's anonymous back end.
            empty_ = std::make_unique<system::DriveInfo>();
            empty_->cdrom = true;
            empty_->interface = system::DriveInterface::kNone;
            info = empty_.get();
        }
        if (discard_granularity_ == 0xffffffff) {
            discard_granularity_ = 512;
        } else if (discard_granularity_ && discard_granularity_ != 512) {
            throw Error("discard_granularity must be 512 for ide");
        }
        if (logical_block_size_ && logical_block_size_ != 512)
            throw Error("logical_block_size must be 512 for IDE");
        if (!is_cdrom() && info->drive && info->drive->read_only())
            throw Error("Block node is read-only");
        IdeAttached attached =
            bus->owner()->attach_ide_device(bus->index(), static_cast<int>(unit_), *info, is_cdrom(), settings());
        bus->units[unit_] = this;
        // What QEMU's realize writes back into the properties.
        serial_ = attached.serial;
        if (version_.empty()) version_ = "2.5+";
        if (!logical_block_size_) logical_block_size_ = 512;
        if (!physical_block_size_) physical_block_size_ = logical_block_size_;
        if (!is_cdrom()) {
            cyls_ = attached.cylinders;
            heads_ = attached.heads;
            secs_ = attached.sectors;
            // QEMU's choice without a partition table to guess from.
            if (chs_trans_ == ChsTranslation::kAuto)
                chs_trans_ = cyls_ <= 1024 && heads_ <= 16 && secs_ <= 63 ? ChsTranslation::kNone : ChsTranslation::kLba;
        }
    }

    void do_unrealize() override {
        auto* bus = dynamic_cast<IdeBus*>(parent_bus());
        if (bus && unit_ < 2 && bus->units[unit_] == this) {
            bus->units[unit_] = nullptr;
            if (bus->owner()) bus->owner()->detach_ide_device(bus->index(), static_cast<int>(unit_));
        }
        empty_.reset();
    }

public:
    bool cdrom() const { return is_cdrom(); }
    std::string version_;
    uint64_t wwn_ = 0;
    std::string serial_;
    std::string model_;
    uint32_t unit_ = kUnitAuto;
    int32_t bootindex_ = -1;
    // Disk only.
    uint32_t cyls_ = 0, heads_ = 0, secs_ = 0, lcyls_ = 0, lheads_ = 0, lsecs_ = 0;
    ChsTranslation chs_trans_ = ChsTranslation::kAuto;
    uint16_t rotation_rate_ = 0;

private:
    std::unique_ptr<system::DriveInfo> empty_;
};

std::vector<qom::Property> IdeDevice::common_properties() {
    using D = IdeDevice;
    std::vector<qom::Property> props = block_conf_properties();
    std::vector<qom::Property> own = {
        qom::prop::string("ver", &D::version_),
        qom::prop::uint64("wwn", &D::wwn_, uint64_t{0}),
        qom::prop::string("serial", &D::serial_),
        qom::prop::string("model", &D::model_),
    };
    props.insert(props.end(), own.begin(), own.end());
    return props;
}

std::vector<qom::Property> hd_properties() {
    using D = IdeDevice;
    std::vector<qom::Property> props = IdeDevice::common_properties();
    props.push_back(qom::prop::uint32("cyls", &D::cyls_, 0u));
    props.push_back(qom::prop::uint32("heads", &D::heads_, 0u));
    props.push_back(qom::prop::uint32("secs", &D::secs_, 0u));
    props.push_back(qom::prop::uint32("lcyls", &D::lcyls_, 0u));
    props.push_back(qom::prop::uint32("lheads", &D::lheads_, 0u));
    props.push_back(qom::prop::uint32("lsecs", &D::lsecs_, 0u));
    props.push_back(qom::prop::enumeration("bios-chs-trans", &D::chs_trans_, "BiosAtaTranslation",
                                           {"auto", "none", "lba", "large", "rechs"}, ChsTranslation::kAuto,
                                           "Logical CHS translation algorithm,  auto/none/lba/large/rechs"));
    props.push_back(qom::prop::uint16("rotation_rate", &D::rotation_rate_, uint16_t{0}));
    return props;
}

class IdeHd final : public IdeDevice {
protected:
    bool is_cdrom() const override { return false; }
};

class IdeCd final : public IdeDevice {
protected:
    bool is_cdrom() const override { return true; }
};

MIMIC_REGISTER_TYPE({
    .name = kTypeIdeBus,
    .parent = qom::kTypeBus,
    .factory = qom::factory_of<IdeBus>(),
});

MIMIC_REGISTER_TYPE({
    .name = kTypeIdeDevice,
    .parent = qom::kTypeDevice,
    .abstract = true,
    .properties = {qom::prop::uint32("unit", &IdeDevice::unit_, kUnitAuto),
                   qom::prop::bootindex(&IdeDevice::bootindex_)},
    .bus_type = kTypeIdeBus,
    .categories = {qom::DeviceCategory::kStorage},
    .user_creatable = true,
    .hotpluggable = false,
});

MIMIC_REGISTER_TYPE({
    .name = "ide-hd",
    .parent = kTypeIdeDevice,
    .factory = qom::factory_of<IdeHd>(),
    .description = "virtual IDE disk",
    .properties = hd_properties(),
});

MIMIC_REGISTER_TYPE({
    .name = "ide-cd",
    .parent = kTypeIdeDevice,
    .factory = qom::factory_of<IdeCd>(),
    .description = "virtual IDE CD-ROM",
    .properties = IdeDevice::common_properties(),
});

}  // namespace

std::optional<IdeDeviceSlot> ide_device_slot(const qom::Object& object) {
    auto* device = dynamic_cast<const IdeDevice*>(&object);
    if (!device || !device->realized()) return std::nullopt;
    auto* bus = dynamic_cast<IdeBus*>(device->parent_bus());
    if (!bus || !bus->owner()) return std::nullopt;
    return IdeDeviceSlot{bus->owner(), bus->index(), static_cast<int>(device->unit_), device->cdrom()};
}

std::string ide_event_id(const qom::Device& device) {
    return device.id().empty() ? device.canonical_path() : device.id();
}

void attach_ahci_drives(qom::Device& ahci, system::DriveSet& drives) {
    qom::Machine* machine = qom::Machine::of(ahci);
    for (const auto& info : drives.drives()) {
        if (info->interface != system::DriveInterface::kIde) continue;
        with_location(info->location, [&] {
            if (info->unit != 0 || info->bus < 0 || info->bus >= static_cast<int>(ahci.child_buses().size()))
                throw Error("machine type does not support if=ide,bus={},unit={}", info->bus, info->unit);
            if (!machine) throw Error("the AHCI controller is on no machine");
            qom::Bus* bus = ahci.child_buses()[static_cast<size_t>(info->bus)];
            // A board device, as QEMU's q35 makes it: /machine/unattached.
            auto device = qom::new_object<qom::Device>(info->cdrom ? "ide-cd" : "ide-hd");
            device->set_property("unit", 0);
            device->set_property("drive", info->id);
            device->set_parent_bus(*bus);
            auto& placed = static_cast<qom::Device&>(machine->add_unattached(std::move(device)));
            try {
                placed.realize();
            } catch (...) {
                placed.parent()->remove_child(placed);
                throw;
            }
        });
    }
}

}  // namespace mimic::hw
