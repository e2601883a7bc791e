#include "mimic/qom/device_help.h"

#include <fmt/format.h>

#include <algorithm>

#include "mimic/qom/device.h"
#include "mimic/qom/device_add.h"

namespace mimic::qom {

namespace {
constexpr int kCategoryCount = static_cast<int>(DeviceCategory::kWatchdog) + 1;
}

std::string device_list_help(bool show_no_user) {
    std::vector<const Type*> types = TypeRegistry::instance().list(kTypeDevice, false);
    std::string out;
    // One pass per category; the last pass (kCategoryCount) takes the
    // devices with no category. A device in two categories shows twice.
    for (int i = 0; i <= kCategoryCount; ++i) {
        bool header_printed = false;
        for (const Type* type : types) {
            std::vector<DeviceCategory> categories = type->categories();
            bool in_group = i < kCategoryCount
                                ? std::count(categories.begin(), categories.end(),
                                             static_cast<DeviceCategory>(i)) > 0
                                : categories.empty();
            if (!in_group || (!show_no_user && !type->user_creatable())) continue;
            if (!header_printed) {
                const char* name = i < kCategoryCount
                                       ? device_category_name(static_cast<DeviceCategory>(i))
                                       : "Uncategorized";
                out += fmt::format("{}{} devices:\n", i ? "\n" : "", name);
                header_printed = true;
            }
            out += fmt::format("name \"{}\"", type->name());
            if (!type->bus_type().empty()) out += ", bus " + type->bus_type();
            if (!type->alias().empty()) out += fmt::format(", alias \"{}\"", type->alias());
            if (!type->description().empty()) out += fmt::format(", desc \"{}\"", type->description());
            if (!type->user_creatable()) out += ", no-user";
            out += "\n";
        }
    }
    return out;
}

std::string device_properties_help(std::string_view driver) {
    // QEMU's texts; it lists the properties of built-in devices too.
    const Type* found = TypeRegistry::instance().find(driver, /*with_alias=*/true);
    if (!found || !found->is_a(kTypeDevice)) throw Error("Device '{}' not found", driver);
    if (found->is_abstract()) throw Error("Parameter 'typename' expects a non-abstract device type");
    const Type& type = *found;
    std::vector<std::string> lines;
    for (const Property* p : type.all_properties()) lines.push_back(property_help_line(*p));
    if (lines.empty()) return fmt::format("There are no options for {}.\n", type.name());
    std::sort(lines.begin(), lines.end());
    std::string out = fmt::format("{} options:\n", type.name());
    for (const std::string& line : lines) out += line + "\n";
    return out;
}

}  // namespace mimic::qom
