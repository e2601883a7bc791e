#include "mimic/monitor/hmp_table.h"

#include <algorithm>

namespace mimic::monitor {

namespace {

std::vector<std::string_view> split_names(std::string_view names) {
    std::vector<std::string_view> result;
    while (!names.empty()) {
        size_t bar = names.find('|');
        result.push_back(names.substr(0, bar));
        names = bar == std::string_view::npos ? std::string_view{} : names.substr(bar + 1);
    }
    return result;
}

// "info|i" -> "info".
std::string_view primary_name(std::string_view names) { return names.substr(0, names.find('|')); }

void add_or_replace(std::vector<HmpCommandDef>& list, HmpCommandDef def) {
    const std::string_view name = primary_name(def.names);
    auto it = std::find_if(list.begin(), list.end(),
                           [&](const HmpCommandDef& existing) { return primary_name(existing.names) == name; });
    if (it != list.end()) {
        *it = std::move(def);
    } else {
        list.push_back(std::move(def));
    }
}

const HmpCommandDef* find_in(const std::vector<HmpCommandDef>& list, std::string_view name) {
    for (const HmpCommandDef& def : list) {
        if (hmp_name_matches(def.names, name)) return &def;
    }
    return nullptr;
}

std::vector<const HmpCommandDef*> sorted(const std::vector<HmpCommandDef>& list) {
    std::vector<const HmpCommandDef*> result;
    for (const HmpCommandDef& def : list) result.push_back(&def);
    std::sort(result.begin(), result.end(),
              [](const HmpCommandDef* a, const HmpCommandDef* b) { return a->names < b->names; });
    return result;
}

// One help line in QEMU's layout: "name params -- help".
std::string help_line(std::string_view prefix, const HmpCommandDef& def) {
    return fmt::format("{}{} {} -- {}\n", prefix, def.names, def.params, def.help);
}

std::vector<std::string> complete_in(const std::vector<HmpCommandDef>& list, std::string_view prefix) {
    std::vector<std::string> result;
    for (const HmpCommandDef& def : list) {
        for (std::string_view name : split_names(def.names)) {
            if (name.substr(0, prefix.size()) == prefix) result.emplace_back(name);
        }
    }
    std::sort(result.begin(), result.end());
    result.erase(std::unique(result.begin(), result.end()), result.end());
    return result;
}

}  // namespace

bool hmp_name_matches(std::string_view names, std::string_view name) {
    for (std::string_view candidate : split_names(names)) {
        if (candidate == name) return true;
    }
    return false;
}

void HmpTable::add_command(HmpCommandDef def) { add_or_replace(commands_, std::move(def)); }
void HmpTable::add_info(HmpCommandDef def) { add_or_replace(infos_, std::move(def)); }

const HmpCommandDef* HmpTable::find_command(std::string_view name) const { return find_in(commands_, name); }
const HmpCommandDef* HmpTable::find_info(std::string_view name) const { return find_in(infos_, name); }

std::string HmpTable::help_text(std::string_view name) const {
    std::string text;
    if (name.empty()) {
        for (const HmpCommandDef* def : sorted(commands_)) text += help_line("", *def);
        return text;
    }
    if (name == "info") {
        return info_help_text();
    }
    // "help info network": that sub-command's line, as QEMU.
    if (name.starts_with("info ")) {
        std::string_view sub = name.substr(5);
        while (sub.starts_with(' ')) sub.remove_prefix(1);
        while (sub.ends_with(' ')) sub.remove_suffix(1);
        if (const HmpCommandDef* def = find_info(sub)) return help_line("info ", *def);
        return fmt::format("unknown command: 'info {}'\n", sub);
    }
    if (const HmpCommandDef* def = find_command(name)) return help_line("", *def);
    return fmt::format("unknown command: '{}'\n", name);
}

std::string HmpTable::info_help_text() const {
    std::string text;
    for (const HmpCommandDef* def : sorted(infos_)) text += help_line("info ", *def);
    return text;
}

std::vector<std::string> HmpTable::complete_command(std::string_view prefix) const {
    return complete_in(commands_, prefix);
}

std::vector<std::string> HmpTable::complete_info(std::string_view prefix) const {
    return complete_in(infos_, prefix);
}

}  // namespace mimic::monitor
