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

// The region whose rendering an address space's view really is: aliases
// that show all of their target and containers whose only enabled child
// covers them are looked through, so that e.g. a PCI device's bus-master
// space (an alias of system memory) is listed under the system view, as
// QEMU shares one FlatView between them. nullptr: nothing is rendered.
const MemoryRegion* flat_view_root(const MemoryRegion* region) {
    while (region && region->enabled()) {
        if (const MemoryRegion* target = region->alias()) {
            if (region->alias_offset() != 0 || region->size128() < target->size128()) return region;
            region = target;
        } else if (!region->terminates()) {
            const MemoryRegion* only = nullptr;
            unsigned enabled = 0;
            for (const MemoryRegion* child : region->subregions()) {
                if (child->enabled()) {
                    ++enabled;
                    only = child;
                }
            }
            if (enabled == 0) return nullptr;
            if (enabled > 1 || only->addr() != 0 || only->size128() < region->size128())
                return region;
            region = only;
        } else {
            return region;
        }
    }
    return nullptr;
}

struct Group {
    const MemoryRegion* key;
    std::vector<AddressSpace*> spaces;
};

// Address spaces grouped by `key_of`, groups in order of first appearance.
template <typename KeyOf>
std::vector<Group> group_spaces(const std::vector<AddressSpace*>& spaces, KeyOf key_of) {
    std::vector<Group> groups;
    for (AddressSpace* space : spaces) {
        const MemoryRegion* key = key_of(*space);
        auto it = std::find_if(groups.begin(), groups.end(),
                               [&](const Group& group) { return group.key == key; });
        if (it == groups.end()) {
            groups.push_back({key, {space}});
        } else {
            it->spaces.push_back(space);
        }
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

void print_flat(std::string& out, const Group& group, unsigned number) {
    out += fmt::format("FlatView #{}\n", number);
    for (const AddressSpace* space : group.spaces) {
        out += fmt::format(" AS \"{}\", root: {}", space->name(), space->root().name());
        if (const MemoryRegion* target = space->root().alias())
            out += fmt::format(", alias {}", target->name());
        out += "\n";
    }
    out += fmt::format(" Root memory region: {}\n", group.key ? group.key->name() : "(none)");
    std::shared_ptr<const FlatView> view = group.spaces.front()->view();
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
    if (options.flat) {
        // Address spaces with the same rendering share one listing, in
        // creation order.
        auto groups = group_spaces(
            spaces, [](const AddressSpace& space) { return flat_view_root(&space.root()); });
        unsigned number = 0;
        for (const Group& group : groups) print_flat(out, group, number++);
        return out;
    }
    // Trees are listed once per root, under all its address spaces' names
    // in alphabetical order (as QEMU sorts them).
    auto groups = group_spaces(spaces, [](const AddressSpace& space) { return &space.root(); });
    TreePrinter printer(out, options.show_disabled);
    for (Group& group : groups) {
        std::stable_sort(
            group.spaces.begin(), group.spaces.end(),
            [](const AddressSpace* a, const AddressSpace* b) { return a->name() < b->name(); });
        for (const AddressSpace* space : group.spaces)
            out += fmt::format("address-space: {}\n", space->name());
        printer.print(*group.key, 1, 0);
        out += "\n";
    }
    printer.print_aliased();
    return out;
}

std::string mtree_text_all(MtreeOptions options) {
    return mtree_text(AddressSpace::all(), options);
}

}  // namespace mimic::memory
