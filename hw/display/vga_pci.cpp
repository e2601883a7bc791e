// The standard VGA as PCI device "VGA" (1234:1111, as QEMU's -vga std):
// the legacy ports and 0xA0000 window, Bochs VBE at ports 0x1CE/0x1CF, the
// video memory as the linear framebuffer in BAR0, an MMIO view of the same
// registers in BAR2 with the monitor's EDID at its start, and
// vgabios-stdvga.bin as the expansion ROM, which SeaBIOS copies to 0xC0000
// and runs.
#include <memory>
#include <vector>

#include "mimic/hw/edid.h"
#include "mimic/hw/machine.h"
#include "mimic/hw/pci.h"
#include "mimic/hw/vga.h"
#include "mimic/qom/property.h"
#include "mimic/qom/type.h"
#include "mimic/ui/console.h"
#include "mimic/util/error.h"
#include "vga_display.h"

namespace mimic::hw {
namespace {

constexpr uint64_t kLowmemBase = 0xa0000;
constexpr uint64_t kLowmemSize = 0x20000;
constexpr uint16_t kVgaPorts = 0x3b0;  // 0x3B0-0x3DF
constexpr uint16_t kVbePorts = 0x1ce;  // index 0x1CE, data 0x1CF
// BAR2 layout (QEMU's "qext" MMIO bar): the EDID at 0, VGA ports at 0x400
// (for 0x3C0), VBE registers as 16-bit words at 0x500.
constexpr uint64_t kMmioEdid = 0;
// QEMU keeps the blob in a 384-byte buffer and maps exactly that much, so
// room for a DisplayID block but not for the rest of the 1 KiB window.
constexpr size_t kEdidSize = 384;
constexpr uint64_t kMmioVgaPorts = 0x400;
constexpr uint64_t kMmioVbe = 0x500;

class VgaPci : public PciDevice, public VgaDisplaySource {
public:
    uint32_t vgamem_mb_ = 16;
    bool edid_ = true;
    uint32_t xres_ = 0, yres_ = 0, xmax_ = 0, ymax_ = 0, refresh_rate_ = 0;

    VgaScreen render(bool pixels) override {
        return core_ ? core_->render(pixels) : VgaScreen{};
    }
    ui::Console* console() override { return console_.get(); }

protected:
    std::string default_romfile() const override { return "vgabios-stdvga.bin"; }

    void pci_realize() override {
        if (vgamem_mb_ < 1 || vgamem_mb_ > 512 || (vgamem_mb_ & (vgamem_mb_ - 1)))
            throw Error("invalid vgamem_mb value {} (a power of two, 1 to 512)", vgamem_mb_);
        uint32_t size = vgamem_mb_ << 20;
        set_ids({.vendor = 0x1234, .device = 0x1111, .revision = 2, .class_code = 0x030000,
                 .subsystem_vendor = 0x1af4, .subsystem = 0x1100});
        set_interrupt_pin(0);
        vram_.init_ram("vga.vram", size);
        core_ = std::make_unique<VgaCore>(vram_.host(), size);
        // While a display front end looks, writes through the linear
        // framebuffer and through the legacy window land in one bitmap,
        // which the display reads; otherwise guest stores to the
        // framebuffer keep their fast path.
        display_ = std::make_unique<VgaDisplay>(*core_, [this](bool on) {
            vram_.set_dirty_logging(on);
            if (on) vram_.test_and_clear_dirty(0, vram_.size());
            core_->set_dirty_bitmap(on ? &vram_.ram_block()->dirty_pages() : nullptr);
        });
        console_ = std::make_unique<ui::Console>(display_.get(), id().empty() ? std::string(kTypeVga) : id());
        register_bar(0, kBarMem32 | kBarPrefetch, vram_);

        memory::MmioOps ports;
        ports.read = [this](uint64_t offset, unsigned) -> uint64_t {
            return core_->ioport_read(static_cast<uint16_t>(kVgaPorts + offset));
        };
        ports.write = [this](uint64_t offset, uint64_t value, unsigned) {
            core_->ioport_write(static_cast<uint16_t>(kVgaPorts + offset), static_cast<uint8_t>(value));
        };
        // A word write to an index port sets index and data in one go, as
        // BIOSes do with outw(0x3c4, 0x0f02): split into bytes.
        ports.valid = {1, 2, false};
        ports.impl = {1, 1, false};
        ports_.init_io("vga", 0x30, std::move(ports));

        memory::MmioOps vbe;
        vbe.read = [this](uint64_t offset, unsigned) -> uint64_t {
            return offset == 0 ? core_->vbe_index() : core_->vbe_read();
        };
        vbe.write = [this](uint64_t offset, uint64_t value, unsigned) {
            if (offset == 0) {
                core_->vbe_set_index(static_cast<uint16_t>(value));
            } else {
                core_->vbe_write(static_cast<uint16_t>(value));
            }
        };
        // The data port is at an odd address and 16 bits wide.
        vbe.valid = {1, 2, true};
        vbe.impl = {2, 2, true};
        vbe_.init_io("vbe", 3, std::move(vbe));

        memory::MmioOps lowmem;
        lowmem.read = [this](uint64_t offset, unsigned) -> uint64_t {
            return core_->mem_read(static_cast<uint32_t>(offset));
        };
        lowmem.write = [this](uint64_t offset, uint64_t value, unsigned) {
            core_->mem_write(static_cast<uint32_t>(offset), static_cast<uint8_t>(value));
        };
        lowmem.valid = {1, 8, false};
        lowmem.impl = {1, 1, false};
        lowmem_.init_io("vga-lowmem", kLowmemSize, std::move(lowmem));

        memory::MmioOps mmio;
        mmio.read = [this](uint64_t offset, unsigned size) -> uint64_t { return mmio_read(offset, size); };
        mmio.write = [this](uint64_t offset, uint64_t value, unsigned size) { mmio_write(offset, value, size); };
        mmio.valid = {1, 4, false};
        mmio.impl = {1, 2, false};
        mmio_.init_io("vga.mmio", 4096, std::move(mmio));
        if (edid_) init_edid();
        register_bar(2, kBarMem32, mmio_);

        if (PciHost* pci = host()) {
            pci->pci_io().add_subregion(kVgaPorts, ports_);
            pci->pci_io().add_subregion(kVbePorts, vbe_);
            // Above whatever RAM or PAM shows there, as on real boards.
            pci->pci_memory().add_subregion(kLowmemBase, lowmem_, 1);
        } else if (Machine* machine = Machine::of(*this)) {
            machine->io().add_subregion(kVgaPorts, ports_);
            machine->io().add_subregion(kVbePorts, vbe_);
            machine->system_memory().add_subregion(kLowmemBase, lowmem_, 1);
        }
    }

    void pci_unrealize() override {
        console_.reset();
        display_.reset();
        for (memory::MemoryRegion* region : {&ports_, &vbe_, &lowmem_}) {
            if (region->parent()) region->parent()->del_subregion(*region);
        }
    }

    void pci_reset() override {
        if (core_) core_->reset();
        if (display_) display_->invalidate();
    }

private:
    void init_edid() {
        // As in QEMU, the defaults the generator picks become the
        // properties' values (info qtree shows xres = 1280).
        if (!xres_) xres_ = kEdidDefaultXres;
        if (!yres_) yres_ = kEdidDefaultYres;
        EdidInfo info;
        info.prefx = xres_;
        info.prefy = yres_;
        info.maxx = xmax_;
        info.maxy = ymax_;
        info.refresh_rate = refresh_rate_;
        edid_blob_ = generate_edid(info, kEdidSize);
        memory::MmioOps ops;
        ops.read = [this](uint64_t offset, unsigned) -> uint64_t { return edid_blob_[offset]; };
        // Read-only: writes are dropped without a guest error, as in QEMU.
        ops.write = [](uint64_t, uint64_t, unsigned) {};
        ops.valid = {1, 4, false};
        ops.impl = {1, 1, false};
        edid_region_.init_io("edid", kEdidSize, std::move(ops));
        mmio_.add_subregion(kMmioEdid, edid_region_);
    }

    uint64_t mmio_read(uint64_t offset, unsigned size) {
        if (offset >= kMmioVgaPorts && offset < kMmioVgaPorts + 0x20) {
            uint64_t value = 0;
            for (unsigned i = 0; i < size; ++i)
                value |= uint64_t{core_->ioport_read(static_cast<uint16_t>(0x3c0 + offset - kMmioVgaPorts + i))} << (8 * i);
            return value;
        }
        if (offset >= kMmioVbe && offset < kMmioVbe + 0x20 && size == 2) {
            uint16_t saved = core_->vbe_index();
            core_->vbe_set_index(static_cast<uint16_t>((offset - kMmioVbe) / 2));
            uint16_t value = core_->vbe_read();
            core_->vbe_set_index(saved);
            return value;
        }
        // Outside the register blocks (and the EDID) the bar reads as an
        // empty bus, as QEMU's does.
        return ~uint64_t{0} >> (64 - 8 * size);
    }

    void mmio_write(uint64_t offset, uint64_t value, unsigned size) {
        if (offset >= kMmioVgaPorts && offset < kMmioVgaPorts + 0x20) {
            for (unsigned i = 0; i < size; ++i)
                core_->ioport_write(static_cast<uint16_t>(0x3c0 + offset - kMmioVgaPorts + i),
                                    static_cast<uint8_t>(value >> (8 * i)));
            return;
        }
        if (offset >= kMmioVbe && offset < kMmioVbe + 0x20 && size == 2) {
            uint16_t saved = core_->vbe_index();
            core_->vbe_set_index(static_cast<uint16_t>((offset - kMmioVbe) / 2));
            core_->vbe_write(static_cast<uint16_t>(value));
            core_->vbe_set_index(saved);
        }
    }

    std::unique_ptr<VgaCore> core_;
    std::unique_ptr<VgaDisplay> display_;
    std::unique_ptr<ui::Console> console_;
    memory::MemoryRegion vram_, ports_, vbe_, lowmem_, mmio_;
    std::vector<uint8_t> edid_blob_;
    // After mmio_, so that it is unmapped from it before mmio_ goes.
    memory::MemoryRegion edid_region_;
};

MIMIC_REGISTER_TYPE({
    .name = kTypeVga,
    .parent = kTypePciDevice,
    .factory = qom::factory_of<VgaPci>(),
    .description = "Standard VGA (Bochs VBE, QEMU std VGA compatible)",
    .properties = {
        qom::prop::uint32("vgamem_mb", &VgaPci::vgamem_mb_, 16),
        // QEMU's EDID properties: the preferred mode (0: 1280x800), the
        // largest mode listed (0: no limit) and the refresh rate in mHz.
        qom::prop::boolean("edid", &VgaPci::edid_, true),
        qom::prop::uint32("xres", &VgaPci::xres_, 0),
        qom::prop::uint32("yres", &VgaPci::yres_, 0),
        qom::prop::uint32("xmax", &VgaPci::xmax_, 0),
        qom::prop::uint32("ymax", &VgaPci::ymax_, 0),
        qom::prop::uint32("refresh_rate", &VgaPci::refresh_rate_, 0),
    },
    .categories = {qom::DeviceCategory::kDisplay},
    .hotpluggable = false,  // as QEMU's: device_del refuses it
});

}  // namespace
}  // namespace mimic::hw
