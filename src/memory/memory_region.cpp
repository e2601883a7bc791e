#include "mimic/memory/memory_region.h"

#include <cstdio>
#include <cstdlib>
#include <stdexcept>
#include <utility>

#include "mimic/memory/address_space.h"
#include "mimic/memory/transaction.h"

namespace mimic::memory {

namespace {

// UINT64_MAX stands for the full 2^64 bytes, as in QEMU: there is no other
// way to say "the whole space" in 64 bits, and no real region is one byte
// short of it.
unsigned __int128 decode_size(uint64_t size) {
    return size == UINT64_MAX ? static_cast<unsigned __int128>(1) << 64 : size;
}

bool valid_size(unsigned size) { return size >= 1 && size <= 8 && (size & (size - 1)) == 0; }

// Bad sizes would otherwise surface as endless loops or shifts past 64 bits
// on the first guest access; catch them when the device is built.
void check_ops(const std::string& name, const MmioOps& ops) {
    for (const AccessSizes* sizes : {&ops.valid, &ops.impl}) {
        if (!valid_size(sizes->min) || !valid_size(sizes->max) || sizes->min > sizes->max) {
            throw std::logic_error("memory region '" + name +
                                   "': access sizes must be powers of two, 1 <= min <= max <= 8");
        }
    }
}

[[noreturn]] void fatal_lifetime(const std::string& name, const char* why) {
    // Continuing would leave views pointing at freed memory; stop here,
    // where the cause is visible.
    std::fprintf(stderr, "mimic: memory region '%s' destroyed while %s\n", name.c_str(), why);
    std::abort();
}

}  // namespace

MemoryRegion::~MemoryRegion() {
    if (alias_users_ != 0) fatal_lifetime(name_, "aliases point at it");
    for (const AddressSpace* space : AddressSpace::all()) {
        if (&space->root() == this) fatal_lifetime(name_, "it is the root of an address space");
    }
    Transaction transaction;  // one re-render for the whole teardown
    if (parent_) parent_->del_subregion(*this);
    for (MemoryRegion* child : subregions_) child->parent_ = nullptr;
    if (!subregions_.empty()) detail::region_changed();
    subregions_.clear();
    if (alias_) alias_->alias_users_--;
}

void MemoryRegion::init_common(std::string name, uint64_t size, RegionKind kind) {
    if (kind_ != RegionKind::kNone)
        throw std::logic_error("memory region '" + name_ + "' initialised twice");
    name_ = std::move(name);
    size_ = decode_size(size);
    kind_ = kind;
}

void MemoryRegion::init_container(std::string name, uint64_t size) {
    init_common(std::move(name), size, RegionKind::kContainer);
}

void MemoryRegion::init_ram(std::string name, uint64_t size) {
    // Set up the memory first: if that throws, the region stays uninitialised.
    auto block = std::make_unique<RamBlock>(name, size);
    init_common(std::move(name), size, RegionKind::kRam);
    ram_ = std::move(block);
}

void MemoryRegion::init_rom(std::string name, uint64_t size) {
    auto block = std::make_unique<RamBlock>(name, size);
    init_common(std::move(name), size, RegionKind::kRom);
    ram_ = std::move(block);
    readonly_ = true;
}

void MemoryRegion::init_io(std::string name, uint64_t size, MmioOps ops) {
    check_ops(name, ops);
    init_common(std::move(name), size, RegionKind::kIo);
    ops_ = std::move(ops);
}

void MemoryRegion::init_rom_device(std::string name, uint64_t size, MmioOps ops) {
    check_ops(name, ops);
    auto block = std::make_unique<RamBlock>(name, size);
    init_common(std::move(name), size, RegionKind::kRomDevice);
    ram_ = std::move(block);
    ops_ = std::move(ops);
}

void MemoryRegion::init_alias(std::string name, MemoryRegion& target, uint64_t offset,
                              uint64_t size) {
    init_common(std::move(name), size, RegionKind::kAlias);
    alias_ = &target;
    alias_offset_ = offset;
    target.alias_users_++;
}

std::unique_ptr<MemoryRegion> MemoryRegion::make_container(std::string name, uint64_t size) {
    auto region = std::make_unique<MemoryRegion>();
    region->init_container(std::move(name), size);
    return region;
}

std::unique_ptr<MemoryRegion> MemoryRegion::make_ram(std::string name, uint64_t size) {
    auto region = std::make_unique<MemoryRegion>();
    region->init_ram(std::move(name), size);
    return region;
}

std::unique_ptr<MemoryRegion> MemoryRegion::make_rom(std::string name, uint64_t size) {
    auto region = std::make_unique<MemoryRegion>();
    region->init_rom(std::move(name), size);
    return region;
}

std::unique_ptr<MemoryRegion> MemoryRegion::make_io(std::string name, uint64_t size, MmioOps ops) {
    auto region = std::make_unique<MemoryRegion>();
    region->init_io(std::move(name), size, std::move(ops));
    return region;
}

std::unique_ptr<MemoryRegion> MemoryRegion::make_alias(std::string name, MemoryRegion& target,
                                                       uint64_t offset, uint64_t size) {
    auto region = std::make_unique<MemoryRegion>();
    region->init_alias(std::move(name), target, offset, size);
    return region;
}

// Keeps subregions_ in rendering order: before the first sibling whose
// priority is not higher, so that among equals the newest comes first.
void MemoryRegion::insert_child(MemoryRegion& child) {
    auto it = subregions_.begin();
    while (it != subregions_.end() && (*it)->priority_ > child.priority_) ++it;
    subregions_.insert(it, &child);
    child.parent_ = this;
}

void MemoryRegion::unlink_child(MemoryRegion& child) {
    std::erase(subregions_, &child);
    child.parent_ = nullptr;
}

void MemoryRegion::add_subregion(uint64_t offset, MemoryRegion& child, int priority) {
    if (kind_ == RegionKind::kNone || child.kind_ == RegionKind::kNone) {
        throw std::logic_error("memory region used before init");
    }
    if (kind_ == RegionKind::kAlias)
        throw std::logic_error("alias '" + name_ + "' cannot have subregions");
    if (child.parent_) {
        throw std::logic_error("memory region '" + child.name_ + "' is already mapped in '" +
                               child.parent_->name_ + "'");
    }
    for (const MemoryRegion* up = this; up; up = up->parent_) {
        if (up == &child)
            throw std::logic_error("memory region '" + child.name_ + "' would contain itself");
    }
    child.addr_ = offset;
    child.priority_ = priority;
    insert_child(child);
    detail::region_changed();
}

void MemoryRegion::del_subregion(MemoryRegion& child) {
    if (child.parent_ != this) {
        throw std::logic_error("memory region '" + child.name_ + "' is not mapped in '" + name_ +
                               "'");
    }
    unlink_child(child);
    detail::region_changed();
}

void MemoryRegion::set_enabled(bool enabled) {
    if (enabled == enabled_) return;
    enabled_ = enabled;
    detail::region_changed();
}

void MemoryRegion::set_address(uint64_t offset) {
    if (offset == addr_) return;
    addr_ = offset;
    if (parent_) {
        MemoryRegion* parent = parent_;
        parent->unlink_child(*this);
        parent->insert_child(*this);
        detail::region_changed();
    }
}

void MemoryRegion::set_alias_offset(uint64_t offset) {
    if (kind_ != RegionKind::kAlias)
        throw std::logic_error("memory region '" + name_ + "' is not an alias");
    if (offset == alias_offset_) return;
    alias_offset_ = offset;
    detail::region_changed();
}

void MemoryRegion::set_size(uint64_t size) {
    if (ram_ && decode_size(size) > ram_->size()) {
        throw std::logic_error("memory region '" + name_ + "' cannot grow beyond its memory");
    }
    if (decode_size(size) == size_) return;
    size_ = decode_size(size);
    detail::region_changed();
}

void MemoryRegion::set_readonly(bool readonly) {
    if (readonly == readonly_) return;
    readonly_ = readonly;
    detail::region_changed();
}

void MemoryRegion::set_romd(bool romd) {
    if (kind_ != RegionKind::kRomDevice)
        throw std::logic_error("memory region '" + name_ + "' is not a ROM device");
    if (romd == romd_) return;
    romd_ = romd;
    detail::region_changed();
}

void MemoryRegion::set_dirty_logging(bool enabled) {
    if (kind_ != RegionKind::kRam)
        throw std::logic_error("memory region '" + name_ + "' is not RAM");
    if (enabled == dirty_logging_) return;
    dirty_logging_ = enabled;
    detail::region_changed();
}

bool MemoryRegion::test_and_clear_dirty(uint64_t offset, uint64_t length) {
    if (!ram_ || length == 0) return false;
    return ram_->dirty_pages().test_and_clear_range(offset >> kPageBits,
                                                    (offset + length - 1) >> kPageBits);
}

uint64_t MemoryRegion::size() const {
    return size_ > UINT64_MAX ? UINT64_MAX : static_cast<uint64_t>(size_);
}

bool MemoryRegion::terminates() const {
    switch (kind_) {
        case RegionKind::kRam:
        case RegionKind::kRom:
        case RegionKind::kIo:
        case RegionKind::kRomDevice:
            return true;
        case RegionKind::kNone:
        case RegionKind::kContainer:
        case RegionKind::kAlias:
            break;
    }
    return false;
}

const char* MemoryRegion::type_name() const {
    // An alias shows what it points at, as in QEMU.
    if (alias_) return alias_->type_name();
    switch (kind_) {
        case RegionKind::kRomDevice:
            return romd_ ? "romd" : "i/o";
        case RegionKind::kRom:
            return "rom";
        case RegionKind::kRam:
            return readonly_ ? "rom" : "ram";
        case RegionKind::kNone:
        case RegionKind::kContainer:
        case RegionKind::kIo:
        case RegionKind::kAlias:
            break;
    }
    return "i/o";
}

}  // namespace mimic::memory
