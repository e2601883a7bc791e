#include "mimic/qom/qtree.h"

#include <fmt/format.h>

#include "mimic/qom/bus.h"
#include "mimic/qom/device.h"

namespace mimic::qom {
namespace {

void line(std::string& out, int indent, std::string_view text) {
    out.append(static_cast<size_t>(indent), ' ');
    out += text;
    out += '\n';
}

void print_bus(const Bus& bus, int indent, std::string& out);

void print_device(const Device& device, int indent, std::string& out) {
    line(out, indent, fmt::format("dev: {}, id \"{}\"", device.type_name(), device.id()));
    indent += 2;
    for (const Property* p : device.type().all_properties()) {
        if (!p->in_qtree) continue;
        line(out, indent, p->name + " = " + device.print_property(p->name));
    }
    if (const Bus* bus = device.parent_bus()) bus->print_device(device, indent, out);
    // Newest first, as QEMU keeps a device's buses (ahci.5 before ahci.0).
    const std::vector<Bus*>& buses = device.child_buses();
    for (auto it = buses.rbegin(); it != buses.rend(); ++it) print_bus(**it, indent, out);
}

void print_bus(const Bus& bus, int indent, std::string& out) {
    line(out, indent, "bus: " + bus.name());
    indent += 2;
    line(out, indent, "type " + bus.type_name());
    for (const Device* device : bus.devices()) print_device(*device, indent, out);
}

}  // namespace

std::string format_qtree(const Bus& root) {
    std::string out;
    print_bus(root, 0, out);
    return out;
}

}  // namespace mimic::qom
