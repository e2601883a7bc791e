// Devices firmware may boot from, ordered by their bootindex= property as
// QEMU orders them (add_boot_device_path / get_boot_devices_list): the pc
// board gives SeaBIOS the OpenFirmware paths of those with a bootindex, by
// ascending index, in fw_cfg's "bootorder" file.
#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

namespace mimic::qom {
class Object;
}

namespace mimic::hw {

class BootDevice {
  public:
    virtual ~BootDevice() = default;
    // -1 (QEMU's default): not in the list.
    virtual int32_t bootindex() const = 0;
    // The device's path as QEMU's qdev_get_fw_dev_path() writes it, with
    // the boot suffix: "/pci@i0cf8/scsi@4/disk@0,0".
    virtual std::string boot_device_path() const = 0;
};

// The contents of "bootorder" for the machine `root` belongs to: realized
// BootDevices with a bootindex plus `extra` entries (index, path), sorted
// by index (ties keep device order), one path a line, NUL-terminated;
// "HALT" last when `strict` (-boot strict=on). Empty when nothing is listed.
std::vector<uint8_t> boot_order_file(const qom::Object& root,
                                     std::vector<std::pair<int32_t, std::string>> extra,
                                     bool strict);

}  // namespace mimic::hw
