// Intel 82441FX PMC (i440FX): the PCI host bridge of the "pc" machine.
// Its PCI function 00.0 holds PAM (0x59-0x5F) and SMRAM (0x72), which
// steer the legacy windows (pam.h).
#include "mimic/hw/i440fx.h"

#include "mimic/hw/machine.h"
#include "mimic/util/error.h"
#include "pam.h"

namespace mimic::hw {

MIMIC_REGISTER_TYPE({
    .name = kTypeI440fxHost,
    .parent = qom::kTypeSysBusDevice,
    .factory = qom::factory_of<I440fxHost>(),
    .description = "i440FX PCI host bridge",
});

I440fxHost::I440fxHost() : PcPciHost(qom::kTypePciBus, "pci.0") {}

namespace {

constexpr uint8_t kPam0 = 0x59;
constexpr uint8_t kSmram = 0x72;

class I440fx : public PciDevice {
protected:
    void pci_realize() override {
        set_ids({.vendor = 0x8086, .device = 0x1237, .revision = 0x02, .class_code = 0x060000});
        set_interrupt_pin(0);
        auto* bridge = dynamic_cast<I440fxHost*>(host());
        if (!bridge || !bridge->ram()) throw Error("i440FX: must sit on an i440FX-pcihost bus with RAM");
        windows_.map(Machine::of(*this)->system_memory(), *bridge->ram(), bridge->pci_memory());
        for (int i = 0; i < kPamRegisterCount; ++i) set_wmask_byte(static_cast<uint8_t>(kPam0 + i), pam_register_wmask(i));
        pci_reset();
    }

    void pci_unrealize() override { windows_.unmap(); }

    void pci_reset() override {
        for (int i = 0; i < kPamRegisterCount; ++i) set_byte(static_cast<uint8_t>(kPam0 + i), 0);
        set_byte(kSmram, kSmramCBaseSeg);
        set_wmask_byte(kSmram, kSmramWritable);
        windows_.update(config() + kPam0, get_byte(kSmram));
    }

    void config_written(uint8_t offset, uint32_t, unsigned size) override {
        if (offset <= kSmram && offset + size > kSmram) {
            uint8_t smram = get_byte(kSmram);
            set_wmask_byte(kSmram, LegacyWindows::apply_smram_lock(smram));
            set_byte(kSmram, smram);
        }
        windows_.update(config() + kPam0, get_byte(kSmram));
    }

private:
    LegacyWindows windows_;
};

}  // namespace

MIMIC_REGISTER_TYPE({
    .name = kTypeI440fx,
    .parent = kTypePciDevice,
    .factory = qom::factory_of<I440fx>(),
    .description = "Host bridge",
    .categories = {qom::DeviceCategory::kBridge},
    .user_creatable = false,
    .hotpluggable = false,  // as QEMU's: device_del refuses it
});

}  // namespace mimic::hw
