#include "mimic/qom/object_help.h"

#include <fmt/format.h>

#include <algorithm>

#include "mimic/qom/user_creatable.h"
#include "mimic/util/error.h"

namespace mimic::qom {

std::string object_list_help() {
    link_object_types();
    std::string out = "List of user creatable objects:\n";
    for (const Type* type : TypeRegistry::instance().list(kTypeUserCreatable, false)) {
        out += fmt::format("  {}\n", type->name());
    }
    return out;
}

std::string object_properties_help(std::string_view type_name) {
    link_object_types();
    const Type* type = find_type(type_name);
    if (!type) throw Error("Parameter 'qom-type' does not accept value '{}'", type_name);
    std::vector<std::string> lines;
    for (const Property* p : type->all_properties()) lines.push_back(property_help_line(*p));
    if (lines.empty()) return fmt::format("There are no options for {}.\n", type->name());
    std::sort(lines.begin(), lines.end());
    std::string out = fmt::format("{} options:\n", type->name());
    for (const std::string& line : lines) out += line + "\n";
    return out;
}

}  // namespace mimic::qom
