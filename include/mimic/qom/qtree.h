// `info qtree`: the bus/device tree as QEMU's monitor prints it.
//
//   bus: main-system-bus
//     type System
//     dev: i440FX-pcihost, id ""
//       bus: pci.0
//         type PCI
//         dev: e1000, id "net0"
//           mac = "52:54:00:12:34:56"
//           netdev = "nd0"
//
// Each device lists all its properties, its own type's first, then its
// parents', each in declaration order, then the bus's extra lines
// (Bus::print_device), then its child buses. Values are printed by the
// property type (Object::print_property):
//   bool          true / false
//   integers      decimal and hex: "1 (0x1)", "-1 (0xffffffffffffffff)"
//   size          bytes and a readable size: "65536 (64 KiB)"
//   str, enum     quoted: "efi-e1000.rom", "auto"
//   MAC           quoted: "52:54:00:12:34:56"
//   links         the id, quoted ("" when unset)
//   PCI devfn     slot.function in hex: 03.0, or <unset>
#pragma once

#include <string>

namespace mimic::qom {

class Bus;

std::string format_qtree(const Bus& root);

}  // namespace mimic::qom
