// ICH9 function 1f.3: the SMBus host controller of the "q35" machine. The
// PIIX4-compatible register block (pm_smbus.h) is BAR 4 (64 I/O ports),
// answering while HOSTC (0x40) has HST_EN set and I2C_EN clear, with
// QEMU's eight SPD EEPROMs at 0x50-0x57 on its bus (contents empty, as
// QEMU's q35 leaves them).
#include "mimic/hw/ich9.h"
#include "mimic/memory/transaction.h"
#include "pm_smbus.h"
#include "smbus_eeprom.h"

namespace mimic::hw {
namespace {

constexpr int kSmbusBar = 4;
constexpr uint8_t kHostConfig = 0x40;
constexpr uint8_t kHostEnable = 0x01;
constexpr uint8_t kI2cEnable = 0x04;

class Ich9Smbus : public PciDevice {
public:
    Ich9Smbus() : smbus_(false) {}

protected:
    void pci_realize() override {
        set_ids({.vendor = 0x8086, .device = 0x2930, .revision = 0x02, .class_code = 0x0c0500});
        set_interrupt_pin(1);
        set_wmask_byte(kHostConfig, 0x1f);
        register_bar(kSmbusBar, kBarIo, smbus_.io());
        pci_reset();
    }

    void pci_reset() override {
        set_byte(kHostConfig, 0);
        eeproms_.reset();
        update_decode();
    }

    void config_written(uint8_t offset, uint32_t, unsigned size) override {
        if (offset <= kHostConfig && offset + size > kHostConfig) update_decode();
    }

private:
    void update_decode() {
        memory::Transaction transaction;
        uint8_t host_config = get_byte(kHostConfig);
        smbus_.io().set_enabled((host_config & kHostEnable) && !(host_config & kI2cEnable));
    }

    PmSmbus smbus_;
    EmptySpdEeproms eeproms_{smbus_.bus()};
};

}  // namespace

MIMIC_REGISTER_TYPE({
    .name = kTypeIch9Smbus,
    .parent = kTypePciDevice,
    .factory = qom::factory_of<Ich9Smbus>(),
    .description = "ICH9 SMBus",
    .categories = {qom::DeviceCategory::kBridge},
    .user_creatable = false,
    .hotpluggable = false,
});

}  // namespace mimic::hw
