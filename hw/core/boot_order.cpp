#include <algorithm>

#include "mimic/hw/boot_device.h"
#include "mimic/qom/device.h"
#include "mimic/qom/machine.h"

namespace mimic::hw {
namespace {

void collect(const qom::Object& object, std::vector<std::pair<int32_t, std::string>>& out) {
    auto* boot = dynamic_cast<const BootDevice*>(&object);
    auto* device = dynamic_cast<const qom::Device*>(&object);
    if (boot && device && device->realized() && boot->bootindex() >= 0)
        out.emplace_back(boot->bootindex(), boot->boot_device_path());
    for (const qom::Object* child : object.children()) collect(*child, out);
}

}  // namespace

std::vector<uint8_t> boot_order_file(const qom::Object& root,
                                     std::vector<std::pair<int32_t, std::string>> extra,
                                     bool strict) {
    std::vector<std::pair<int32_t, std::string>> entries = std::move(extra);
    const qom::Object* machine = qom::Machine::of(root);
    collect(machine ? *machine : root, entries);
    std::stable_sort(entries.begin(), entries.end(),
                     [](const auto& a, const auto& b) { return a.first < b.first; });
    std::string text;
    for (const auto& entry : entries) text += (text.empty() ? "" : "\n") + entry.second;
    if (strict) text += text.empty() ? "HALT" : "\nHALT";
    if (text.empty()) return {};
    std::vector<uint8_t> file(text.begin(), text.end());
    file.push_back(0);
    return file;
}

}  // namespace mimic::hw
