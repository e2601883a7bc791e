// Intel Q35 (82G33/P35 MCH): the PCI Express host bridge of the "q35"
// machine. Its function 00.0 holds PCIEXBAR (0x60, where MMCONFIG is
// decoded), the Q35's PAM (0x90-0x96) and SMRAM (0x9D) registers (pam.h),
// ESMRAMC (0x9E) and QEMU's extended TSEG size register (0x50).
//
// SMM is not modelled: the TSEG and extended-TSEG registers hold their
// values (firmware reads them back) but carve nothing out of RAM.
#include "mimic/hw/q35.h"

#include "mimic/hw/machine.h"
#include "mimic/memory/transaction.h"
#include "mimic/util/error.h"
#include "pam.h"

namespace mimic::hw {

MIMIC_REGISTER_TYPE({
    .name = kTypeQ35Host,
    .parent = qom::kTypeSysBusDevice,
    .factory = qom::factory_of<Q35Host>(),
    .description = "Q35 PCI Express host bridge",
});

Q35Host::Q35Host() : PcPciHost(qom::kTypePcieBus, "pcie.0") {}

Q35Host::~Q35Host() { Q35Host::do_unrealize(); }

void Q35Host::do_unrealize() {
    map_mmconfig(0, 0);
    PcPciHost::do_unrealize();
}

void Q35Host::map_mmconfig(uint64_t base, uint64_t size) {
    if (base == mmconfig_base_ && size == mmconfig_size_) return;
    memory::Transaction transaction;
    if (mmconfig_ && mmconfig_->parent()) mmconfig_->parent()->del_subregion(*mmconfig_);
    mmconfig_ = nullptr;
    mmconfig_base_ = size ? base : 0;
    mmconfig_size_ = size;
    if (!size) return;
    size_t index = size == 256ull << 20 ? 0 : size == 128ull << 20 ? 1 : 2;
    memory::MemoryRegion& window = mmconfig_windows_[index];
    if (window.size() != size) {
        memory::MmioOps ops;
        ops.read = [this](uint64_t offset, unsigned access) { return ecam_read(offset, access); };
        ops.write = [this](uint64_t offset, uint64_t value, unsigned access) { ecam_write(offset, value, access); };
        ops.valid = {1, 4, false};
        ops.impl = {1, 4, false};
        window.init_io("pcie-mmcfg-mmio", size, std::move(ops));
    }
    mmconfig_ = &window;
    Machine::of(*this)->system_memory().add_subregion(base, window, 1);
}

namespace {

constexpr uint64_t kEcamBusShift = 20;
constexpr uint64_t kEcamDevfnShift = 12;
constexpr uint64_t kEcamRegisterMask = 0xfff;
constexpr uint64_t kConventionalConfigSize = 256;

uint64_t all_ones(unsigned size) { return size == 4 ? 0xffffffffu : (1u << (8 * size)) - 1; }

}  // namespace

// Only bus 0 exists. Functions have the 256-byte conventional space; their
// extended space (0x100-0xFFF) holds no capabilities, which reads as 0.
uint64_t Q35Host::ecam_read(uint64_t offset, unsigned size) {
    if (offset >> kEcamBusShift) return all_ones(size);
    int devfn = static_cast<int>((offset >> kEcamDevfnShift) & 0xff);
    uint64_t reg = offset & kEcamRegisterMask;
    if (reg < kConventionalConfigSize) return config_read(devfn, static_cast<uint8_t>(reg), size);
    return bus().device_at(devfn) ? 0 : all_ones(size);
}

void Q35Host::ecam_write(uint64_t offset, uint64_t value, unsigned size) {
    if (offset >> kEcamBusShift) return;
    uint64_t reg = offset & kEcamRegisterMask;
    if (reg >= kConventionalConfigSize) return;
    config_write(static_cast<int>((offset >> kEcamDevfnShift) & 0xff), static_cast<uint8_t>(reg),
                 static_cast<uint32_t>(value), size);
}

namespace {

constexpr uint8_t kExtTsegMbytes = 0x50;
constexpr uint16_t kExtTsegMbytesDefault = 16;  // QEMU 7.2's ext-tseg-mbytes
constexpr uint8_t kPciexbar = 0x60;
constexpr uint32_t kPciexbarDefault = 0xb0000000;
constexpr uint64_t kPciexbarEnable = 1;
constexpr uint8_t kPam0 = 0x90;
constexpr uint8_t kSmram = 0x9d;
constexpr uint8_t kEsmramc = 0x9e;
constexpr uint8_t kEsmramcDefault = 0x38;  // caches enabled, TSEG off
constexpr uint8_t kEsmramcWritable = 0x8f;  // H_SMRAME, TSEG_SZ, T_EN

class Mch : public PciDevice {
protected:
    void pci_realize() override {
        set_ids({.vendor = 0x8086, .device = 0x29c0, .revision = 0x00, .class_code = 0x060000});
        set_interrupt_pin(0);
        host_ = dynamic_cast<Q35Host*>(host());
        if (!host_ || !host_->ram()) throw Error("mch: must sit on a q35-pcihost bus with RAM");
        windows_.map(Machine::of(*this)->system_memory(), *host_->ram(), host_->pci_memory());
        // PCIEXBAR: enable, length (bits 2:1) and base bits 35:26.
        set_wmask_long(kPciexbar, 0xfc000007);
        set_wmask_long(kPciexbar + 4, 0x0000000f);
        for (int i = 0; i < kPamRegisterCount; ++i) set_wmask_byte(static_cast<uint8_t>(kPam0 + i), pam_register_wmask(i));
        set_wmask_byte(kEsmramc, kEsmramcWritable);
        pci_reset();
    }

    void pci_unrealize() override {
        windows_.unmap();
        if (host_) host_->map_mmconfig(0, 0);
    }

    void pci_reset() override {
        set_word(kExtTsegMbytes, kExtTsegMbytesDefault);
        set_long(kPciexbar, kPciexbarDefault);
        set_long(kPciexbar + 4, 0);
        for (int i = 0; i < kPamRegisterCount; ++i) set_byte(static_cast<uint8_t>(kPam0 + i), 0);
        set_byte(kSmram, kSmramCBaseSeg);
        set_wmask_byte(kSmram, kSmramWritable);
        set_byte(kEsmramc, kEsmramcDefault);
        update();
    }

    void config_written(uint8_t offset, uint32_t, unsigned size) override {
        if (offset <= kSmram && offset + size > kSmram) {
            uint8_t smram = get_byte(kSmram);
            set_wmask_byte(kSmram, LegacyWindows::apply_smram_lock(smram));
            set_byte(kSmram, smram);
        }
        update();
    }

private:
    // The length field picks 256, 128 or 64 MiB (buses 0-255, 0-127,
    // 0-63) and with it how many base bits count; 3 is reserved, which
    // QEMU aborts on and which here decodes nothing.
    void update() {
        windows_.update(config() + kPam0, get_byte(kSmram));
        uint64_t pciexbar = get_long(kPciexbar) | uint64_t{get_long(kPciexbar + 4)} << 32;
        uint64_t size = 0;
        switch ((pciexbar >> 1) & 3) {
        case 0: size = 256ull << 20; break;
        case 1: size = 128ull << 20; break;
        case 2: size = 64ull << 20; break;
        default: break;
        }
        bool enabled = (pciexbar & kPciexbarEnable) && size;
        uint64_t base = pciexbar & 0xffc000000ull & ~(size - 1);
        host_->map_mmconfig(base, enabled ? size : 0);
    }

    Q35Host* host_ = nullptr;
    LegacyWindows windows_;
};

}  // namespace

MIMIC_REGISTER_TYPE({
    .name = kTypeMch,
    .parent = kTypePciDevice,
    .factory = qom::factory_of<Mch>(),
    .description = "Host bridge",
    .categories = {qom::DeviceCategory::kBridge},
    .user_creatable = false,
    .hotpluggable = false,
});

}  // namespace mimic::hw
