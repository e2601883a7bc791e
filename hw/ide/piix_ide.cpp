// The PIIX3 IDE function (PCI 8086:7010 at 01.1): two channels at the
// legacy ISA-compatible ports (0x1f0-0x1f7/0x3f6 on IRQ 14, 0x170-0x177/0x376
// on IRQ 15), which a PIIX always decodes, and the bus-master DMA registers
// in BAR4 (16 I/O ports, eight per channel).
#include <cerrno>
#include <memory>

#include "bmdma.h"
#include "ide_channel.h"
#include "mimic/hw/ide.h"
#include "mimic/hw/machine.h"
#include "mimic/hw/pci.h"
#include "mimic/qom/type.h"
#include "mimic/system/drives.h"
#include "mimic/system/runstate.h"
#include "mimic/util/error.h"

namespace mimic::hw {
namespace {

constexpr uint16_t kCommandPorts[2] = {0x1f0, 0x170};
constexpr uint16_t kControlPorts[2] = {0x3f6, 0x376};
constexpr int kIrqs[2] = {14, 15};
// IDETIM and friends (0x40-0x47): timing registers firmware programs
// (bit 15 of IDETIM enables each channel's decode; always on here).
constexpr uint8_t kIdeTiming = 0x40;

class Piix3Ide : public PciDevice, public IdeController, public IdeBusOwner {
public:
    void attach_drive(int bus, int unit, system::DriveInfo& info) override {
        if (bus < 0 || bus > 1 || unit < 0 || unit > 1)
            throw Error("bus={},unit={} is not an IDE position (buses 0-1, units 0-1)", bus, unit);
        // Taken by a -device ide-hd/ide-cd already.
        if (channels_[bus].unit(unit).present()) throw Error("IDE unit {} is in use", unit);
        channels_[bus].attach(unit, info);
    }

    TrayState tray_state(int bus, int unit) override {
        const ide::IdeUnit& u = channels_[bus].unit(unit);
        return {.open = u.tray_open, .locked = u.tray_locked};
    }
    bool open_tray(int bus, int unit, bool force) override { return channels_[bus].open_tray(unit, force); }
    void close_tray(int bus, int unit) override { channels_[bus].close_tray(unit); }

    // -device ide-hd/ide-cd,bus=ide.N.
    IdeAttached attach_ide_device(int bus, int unit, system::DriveInfo& info, bool cdrom,
                                  const IdeDeviceSettings& settings) override {
        ide::IdeChannel& channel = channels_[bus];
        if (channel.unit(unit).present()) throw Error("IDE unit {} is in use", unit);
        channel.attach(unit, info, cdrom);
        channel.configure(unit, settings);
        return ide::attached(channel.unit(unit));
    }
    void detach_ide_device(int bus, int unit) override { channels_[bus].unit(unit).info = nullptr; }
    std::string ide_fw_dev_path() const override { return fw_dev_path(); }
    IdeTrayState ide_tray_state(int bus, int unit) override { return tray_state(bus, unit); }
    bool ide_open_tray(int bus, int unit, bool force) override { return open_tray(bus, unit, force); }
    void ide_close_tray(int bus, int unit) override { close_tray(bus, unit); }

protected:
    void bus_master_space_changed() override {
        for (int i = 0; i < 2; ++i) {
            if (memory::AddressSpace* space = bus_master_space()) bus_master_[i].init(channels_[i], *space);
        }
    }

    void pci_realize() override {
        // Mass storage / IDE; prog-if 80h: bus-master capable, both
        // channels in legacy (compatibility) mode.
        set_ids({.vendor = 0x8086, .device = 0x7010, .class_code = 0x010180});
        set_interrupt_pin(0);  // legacy mode interrupts are ISA IRQ 14/15
        for (uint8_t offset = kIdeTiming; offset < kIdeTiming + 8; ++offset) set_wmask_byte(offset, 0xff);

        Machine* machine = Machine::of(*this);
        memory::AddressSpace* dma_space = host() ? bus_master_space()
                                                 : machine ? &machine->memory_space() : nullptr;
        for (int i = 0; i < 2; ++i) {
            ide::IdeChannel& channel = channels_[i];
            channel.init(i, machine ? machine->isa_irq(kIrqs[i]) : IrqLine{});
            channel.set_tray_listener([this](ide::IdeUnit& u, bool open) { report_tray_moved(u, open); });
            channel.set_io_error_listener(
                [this](ide::IdeUnit& u, bool write, int error) { ide::emit_io_error(*this, u, write, error); });
            if (dma_space) bus_master_[i].init(channel, *dma_space);
            bus_master_[i].on_master_abort([this] { note_master_abort(); });
            channel.set_bus_master(&bus_master_[i]);

            memory::MmioOps command;
            command.read = [&channel](uint64_t offset, unsigned size) -> uint64_t {
                return channel.read_register(static_cast<unsigned>(offset), size);
            };
            command.write = [&channel](uint64_t offset, uint64_t value, unsigned size) {
                channel.write_register(static_cast<unsigned>(offset), static_cast<uint32_t>(value), size);
            };
            command.valid = {1, 4, false};
            command.impl = {1, 4, false};
            command_[i].init_io(i ? "ide1-cmd" : "ide0-cmd", 8, std::move(command));

            memory::MmioOps control;
            control.read = [&channel](uint64_t, unsigned) -> uint64_t { return channel.read_alt_status(); };
            control.write = [&channel](uint64_t, uint64_t value, unsigned) {
                channel.write_device_control(static_cast<uint8_t>(value));
            };
            control.valid = {1, 1, false};
            control.impl = {1, 1, false};
            control_[i].init_io(i ? "ide1-ctrl" : "ide0-ctrl", 1, std::move(control));

            if (machine) {
                machine->io().add_subregion(kCommandPorts[i], command_[i]);
                machine->io().add_subregion(kControlPorts[i], control_[i]);
            }
        }

        // QEMU's ide.0 and ide.1, where -device ide-hd/ide-cd plug in.
        for (int i = 0; i < 2; ++i) {
            buses_[i] = &static_cast<IdeBus&>(add_bus(kTypeIdeBus));
            buses_[i]->configure(*this, i, 2);
        }

        memory::MmioOps bm;
        bm.read = [this](uint64_t offset, unsigned size) -> uint64_t {
            return bus_master_[offset >> 3].read(static_cast<unsigned>(offset & 7), size);
        };
        bm.write = [this](uint64_t offset, uint64_t value, unsigned size) {
            bus_master_[offset >> 3].write(static_cast<unsigned>(offset & 7), static_cast<uint32_t>(value), size);
        };
        bm.valid = {1, 4, false};
        bm.impl = {1, 4, false};
        bus_master_region_.init_io("bmdma", 16, std::move(bm));
        register_bar(4, kBarIo, bus_master_region_);
    }

    void pci_unrealize() override {
        for (int i = 0; i < 2; ++i) {
            for (memory::MemoryRegion* region : {&command_[i], &control_[i]}) {
                if (region->parent()) region->parent()->del_subregion(*region);
            }
        }
    }

    void pci_reset() override {
        for (int i = 0; i < 2; ++i) {
            bus_master_[i].reset();
            channels_[i].reset();
        }
    }

private:
    // A -device ide-cd names itself; a -drive if=ide CD-ROM has no device
    // of its own and goes by the controller.
    void report_tray_moved(const ide::IdeUnit& u, bool open) {
        qom::Device* device = buses_[u.channel == &channels_[0] ? 0 : 1]->units[u.unit];
        ide::emit_tray_moved(*this, u, device ? ide_event_id(*device) : canonical_path(), open);
    }

    ide::IdeChannel channels_[2];
    IdeBus* buses_[2] = {};
    ide::BusMasterDma bus_master_[2];
    memory::MemoryRegion command_[2], control_[2], bus_master_region_;
};

MIMIC_REGISTER_TYPE({
    .name = kTypePiix3Ide,
    .parent = kTypePciDevice,
    .factory = qom::factory_of<Piix3Ide>(),
    .description = "PIIX3 IDE controller",
    .categories = {qom::DeviceCategory::kStorage},
    .user_creatable = false,
    .hotpluggable = false,  // as QEMU's: device_del refuses it
});


}  // namespace

IdeController* find_ide_controller(Machine& machine) { return qom::find_in_tree<IdeController>(machine); }

void attach_ide_drives(Machine& machine, system::DriveSet& drives) {
    IdeController* controller = nullptr;
    bool searched = false;
    for (const auto& info : drives.drives()) {
        if (info->interface != system::DriveInterface::kIde) continue;
        if (!searched) {
            controller = qom::find_in_tree<IdeController>(machine);
            searched = true;
        }
        if (!controller) throw Error("{}: machine type does not support if=ide", info->location);
        with_location(info->location, [&] { controller->attach_drive(info->bus, info->unit, *info); });
    }
}

}  // namespace mimic::hw
