// MemoryRegion: the building block of guest address spaces (QEMU's model).
//
// A device owns its regions (usually as members) and maps them into a
// parent container. Kinds:
//   container   only children; where no child maps, lower regions of the
//               parent show through (or the address is unassigned)
//   ram         host memory read and written directly
//   rom         host memory the guest can only read; the host fills it
//   io          callbacks (MmioOps); used for MMIO and for I/O ports alike
//   rom device  host memory read directly while in "romd" mode, writes (and
//               in I/O mode also reads) go to the callbacks (flash chips)
//   alias       a window onto [offset, offset+size) of another region
// Any non-alias region may have children; they are drawn over it.
//
// Children are ordered by priority, highest first; on equal priority the one
// added (or moved) last wins, as in QEMU. Sizes are uint64_t with UINT64_MAX
// meaning the whole 2^64 space (what a system container uses).
//
// Threading: regions are created and changed only with the BQL held
// (main_loop/bql.h). Every change re-renders the FlatView of each AddressSpace (at the
// end of the enclosing Transaction, if any) and publishes it atomically;
// vCPU threads only read published views. What a view's reader touches on a
// region (kind, host memory, callbacks, name) is fixed by init_*(), which must
// therefore happen before the region is mapped.
//
// Lifetime: a region must outlive the aliases that point at it; destroying a
// region unmaps it (and its children) first. A region that a published view
// still references must not be destroyed while vCPUs may be running, which
// device unplug guarantees by pausing them, as QEMU does with RCU.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "mimic/memory/mmio_ops.h"
#include "mimic/memory/ram_block.h"

namespace mimic::memory {

enum class RegionKind : uint8_t { kNone, kContainer, kRam, kRom, kIo, kRomDevice, kAlias };

class MemoryRegion {
  public:
    // An uninitialised region; call exactly one init_*() before use.
    MemoryRegion() = default;
    ~MemoryRegion();
    MemoryRegion(const MemoryRegion&) = delete;
    MemoryRegion& operator=(const MemoryRegion&) = delete;

    void init_container(std::string name, uint64_t size);
    // RAM and ROM throw mimic::Error when host memory cannot be set up.
    void init_ram(std::string name, uint64_t size);
    void init_rom(std::string name, uint64_t size);
    // The ops' sizes must be powers of two, 1 <= min <= max <= 8.
    void init_io(std::string name, uint64_t size, MmioOps ops);
    void init_rom_device(std::string name, uint64_t size, MmioOps ops);
    void init_alias(std::string name, MemoryRegion& target, uint64_t offset, uint64_t size);

    // Convenience for regions owned by pointer.
    static std::unique_ptr<MemoryRegion> make_container(std::string name, uint64_t size);
    static std::unique_ptr<MemoryRegion> make_ram(std::string name, uint64_t size);
    static std::unique_ptr<MemoryRegion> make_rom(std::string name, uint64_t size);
    static std::unique_ptr<MemoryRegion> make_io(std::string name, uint64_t size, MmioOps ops);
    static std::unique_ptr<MemoryRegion> make_alias(std::string name, MemoryRegion& target,
                                                    uint64_t offset, uint64_t size);

    // --- tree --------------------------------------------------------------
    // Maps `child` at `offset` inside this region. The child must not be
    // mapped elsewhere. Programming errors (here and in the setters) throw
    // std::logic_error.
    void add_subregion(uint64_t offset, MemoryRegion& child, int priority = 0);
    void del_subregion(MemoryRegion& child);

    // --- changes the machine makes at run time (PAM, PCI BARs, VGA) --------
    void set_enabled(bool enabled);
    // Moves the region inside its parent. Like QEMU, a move counts as a new
    // insertion for the equal-priority rule.
    void set_address(uint64_t offset);
    void set_alias_offset(uint64_t offset);
    void set_size(uint64_t size);
    // Guest writes through this region (RAM, or an alias of RAM as PAM's
    // read-only mode uses) are rejected; reads stay direct.
    void set_readonly(bool readonly);
    // ROM device: true = reads straight from memory (romd), false = all
    // accesses go to the callbacks.
    void set_romd(bool romd);
    // RAM: record guest writes in ram_block()->dirty_pages() (VGA memory).
    // While on, translate() never offers the pages for direct writes, so
    // every write is seen; switching re-renders, which tells TLBs to flush.
    void set_dirty_logging(bool enabled);
    // Whether the guest wrote [offset, offset+length) since the last call;
    // clears the pages' dirty bits.
    bool test_and_clear_dirty(uint64_t offset, uint64_t length);

    // --- queries -----------------------------------------------------------
    const std::string& name() const { return name_; }
    RegionKind kind() const { return kind_; }
    // UINT64_MAX for a 2^64-byte region (see size128() for the exact value).
    uint64_t size() const;
    unsigned __int128 size128() const { return size_; }
    uint64_t addr() const { return addr_; }  // offset inside the parent
    int priority() const { return priority_; }
    bool enabled() const { return enabled_; }
    bool readonly() const { return readonly_; }
    bool romd() const { return romd_; }
    bool dirty_logging() const { return dirty_logging_; }
    MemoryRegion* parent() const { return parent_; }
    MemoryRegion* alias() const { return alias_; }
    uint64_t alias_offset() const { return alias_offset_; }
    // In rendering order: highest priority first, later-added first on ties.
    const std::vector<MemoryRegion*>& subregions() const { return subregions_; }
    // True for kinds that draw themselves (everything but container/alias).
    bool terminates() const;
    // "ram", "rom", "romd", "i/o" as `info mtree` prints them.
    const char* type_name() const;

    // Host memory of RAM, ROM and ROM devices (nullptr otherwise). The host
    // writes through it to load firmware and kernels.
    uint8_t* host() const { return ram_ ? ram_->host() : nullptr; }
    RamBlock* ram_block() const { return ram_.get(); }
    const MmioOps& ops() const { return ops_; }

  private:
    void init_common(std::string name, uint64_t size, RegionKind kind);
    void insert_child(MemoryRegion& child);
    void unlink_child(MemoryRegion& child);

    std::string name_;
    RegionKind kind_ = RegionKind::kNone;
    unsigned __int128 size_ = 0;
    uint64_t addr_ = 0;
    int priority_ = 0;
    bool enabled_ = true;
    bool readonly_ = false;
    bool romd_ = true;
    bool dirty_logging_ = false;
    MemoryRegion* parent_ = nullptr;
    MemoryRegion* alias_ = nullptr;
    uint64_t alias_offset_ = 0;
    // Aliases pointing here; a region destroyed while aliased is a bug that
    // would otherwise show up much later as a wild pointer in a FlatView.
    unsigned alias_users_ = 0;
    std::vector<MemoryRegion*> subregions_;
    std::unique_ptr<RamBlock> ram_;
    MmioOps ops_;
};

}  // namespace mimic::memory
