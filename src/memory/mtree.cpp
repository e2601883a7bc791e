// `info mtree` text. The layout follows QEMU's byte for byte (widths,
// indentation, "[disabled]", the alias queue), since users diff it against
// QEMU's output when porting machine configurations.
#include "mimic/memory/mtree.h"

#include <fmt/format.h>

#include <algorithm>

#include "mimic/memory/address_space.h"
#include "mimic/memory/memory_region.h"

namespace mimic::memory {

namespace {

constexpr const char* kIndent = "  ";

// Address spaces grouped by root, in order of first appearance, names
// sorted within a group (QEMU sorts them too).
std::vector<std::vector<AddressSpace*>> group_by_root(const std::vector<AddressSpace*>& spaces) {
    std::vector<std::vector<AddressSpace*>> groups;
    for (AddressSpace* space : spaces) {
        auto it = std::find_if(groups.begin(), groups.end(), [&](const auto& group) {
            return &group.front()->root() == &space->root();
        });
        if (it == groups.end()) {
            groups.push_back({space});
        } else {
            it->push_back(space);
        }
    }
    for (auto& group : groups) {
        std::stable_sort(
            group.begin(), group.end(),
            [](const AddressSpace* a, const AddressSpace* b) { return a->name() < b->name(); });
    }
    return groups;
}

// Last byte of a region placed at `start`; a zero-sized region prints as
// start-start, like QEMU.
uint64_t last_byte(uint64_t start, const MemoryRegion& region) {
    unsigned __int128 size = region.size128();
    return size == 0 ? start : static_cast<uint64_t>(start + (size - 1));
}

class TreePrinter {
  public:
    TreePrinter(std::string& out, bool show_disabled) : out_(out), show_disabled_(show_disabled) {}

    void print(const MemoryRegion& region, unsigned level, uint64_t base) {
        uint64_t start = base + region.addr();
        uint64_t last = last_byte(start, region);
        if (start < base || last < start) out_ += "[DETECTED OVERFLOW!] ";
        bool shown = region.enabled() || show_disabled_;
        if (const MemoryRegion* target = region.alias()) {
            // Every aliased region is printed once more at the end.
            if (std::find(aliased_.begin(), aliased_.end(), target) == aliased_.end())
                aliased_.push_back(target);
            if (shown) {
                indent(level);
                out_ += fmt::format(
                    "{:016x}-{:016x} (prio {}, {}): alias {} @{} {:016x}-{:016x}{}\n", start, last,
                    region.priority(), region.type_name(), region.name(), target->name(),
                    region.alias_offset(), last_byte(region.alias_offset(), region),
                    region.enabled() ? "" : " [disabled]");
            }
        } else if (shown) {
            indent(level);
            out_ += fmt::format("{:016x}-{:016x} (prio {}, {}): {}{}\n", start, last,
                                region.priority(), region.type_name(), region.name(),
                                region.enabled() ? "" : " [disabled]");
        }
        // Children of a hidden region are still listed (one level deeper
        // than their absent parent): QEMU does so, and users diff the text.
        // By address, then higher priority first; stable, so equal keys keep
        // the rendering order (newest first).
        std::vector<const MemoryRegion*> children(region.subregions().begin(),
                                                  region.subregions().end());
        std::stable_sort(children.begin(), children.end(),
                         [](const MemoryRegion* a, const MemoryRegion* b) {
                             return a->addr() != b->addr() ? a->addr() < b->addr()
                                                           : a->priority() > b->priority();
                         });
        for (const MemoryRegion* child : children) print(*child, level + 1, start);
    }

    void print_aliased() {
        // Printing may queue more (aliases inside aliased regions), hence
        // the index loop.
        for (size_t i = 0; i < aliased_.size(); ++i) {
            out_ += fmt::format("memory-region: {}\n", aliased_[i]->name());
            print(*aliased_[i], 1, 0);
            out_ += "\n";
        }
    }

  private:
    void indent(unsigned level) {
        for (unsigned i = 0; i < level; ++i) out_ += kIndent;
    }

    std::string& out_;
    bool show_disabled_;
    std::vector<const MemoryRegion*> aliased_;
};

void print_flat(std::string& out, const std::vector<AddressSpace*>& group, unsigned number) {
    out += fmt::format("FlatView #{}\n", number);
    for (const AddressSpace* space : group) {
        out += fmt::format(" AS \"{}\", root: {}", space->name(), space->root().name());
        if (const MemoryRegion* target = space->root().alias())
            out += fmt::format(", alias {}", target->name());
        out += "\n";
    }
    std::shared_ptr<const FlatView> view = group.front()->view();
    out += fmt::format(" Root memory region: {}\n", group.front()->root().name());
    if (view->ranges().empty()) {
        out += fmt::format("{}No rendered FlatView\n\n", kIndent);
        return;
    }
    for (const FlatRange& range : view->ranges()) {
        const MemoryRegion& region = *range.region;
        const char* type = range.readonly ? "rom" : region.type_name();
        out += fmt::format("{}{:016x}-{:016x} (prio {}, {}): {}", kIndent, range.start, range.last,
                           region.priority(), type, region.name());
        if (range.offset != 0) out += fmt::format(" @{:016x}", range.offset);
        out += "\n";
    }
    out += "\n";
}

}  // namespace

std::string mtree_text(const std::vector<AddressSpace*>& spaces, MtreeOptions options) {
    std::string out;
    auto groups = group_by_root(spaces);
    if (options.flat) {
        unsigned number = 0;
        for (const auto& group : groups) print_flat(out, group, number++);
        return out;
    }
    TreePrinter printer(out, options.show_disabled);
    for (const auto& group : groups) {
        for (const AddressSpace* space : group)
            out += fmt::format("address-space: {}\n", space->name());
        printer.print(group.front()->root(), 1, 0);
        out += "\n";
    }
    printer.print_aliased();
    return out;
}

std::string mtree_text_all(MtreeOptions options) {
    return mtree_text(AddressSpace::all(), options);
}

}  // namespace mimic::memory
