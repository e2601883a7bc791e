// AddressSpace: what the CPU and DMA-capable devices read and write.
//
// It renders its root region into a FlatView and republishes a new view
// whenever the region tree changes (see transaction.h). PC conventions: an
// access that hits nothing reads all ones and drops writes; it is logged
// under log::kGuestErrors, never thrown. Guest writes to ROM are dropped
// without a log line (firmware does it routinely). All multi-byte values
// are little-endian.
//
// Threading rule:
//  - The region tree and the set of address spaces are changed only with
//    the BQL held (main_loop/bql.h). A change builds a complete new FlatView
//    and swaps it in as one pointer; a reader loads the view once per
//    access and holds a reference while using it, so it sees either the old
//    or the new view, never a half-built one, and the old one is freed when
//    its last reader lets go.
//  - RAM/ROM accesses and translate() are safe from any thread without
//    locks. Callbacks of I/O regions run on the accessing thread, so a vCPU
//    must hold the BQL around accesses that may hit MMIO, as device models
//    assume.
//  - Listeners run on the changing thread right after the new view is
//    published. A vCPU may go on using translations of the old view until
//    it drops them, so a TLB listener must make each vCPU flush before it
//    next runs guest code (the same window QEMU has).
//  - Loading the view costs a short lock and a reference-count update;
//    translate() skips both while the view is the one the calling thread
//    used last. Hot paths use translate() once per page (a TLB) rather
//    than load() per access.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "mimic/memory/flat_view.h"
#include "mimic/memory/mmio_ops.h"

namespace mimic::memory {

class MemoryRegion;

class AddressSpace {
  public:
    using Listener = std::function<void(const AddressSpace& space, const FlatView& view)>;

    // The root must outlive the address space. Typical: ("memory", system)
    // and ("I/O", io).
    AddressSpace(MemoryRegion& root, std::string name);
    ~AddressSpace();
    AddressSpace(const AddressSpace&) = delete;
    AddressSpace& operator=(const AddressSpace&) = delete;

    const std::string& name() const { return name_; }
    MemoryRegion& root() const { return root_; }

    // The current view; a reader may keep it as long as it likes.
    std::shared_ptr<const FlatView> view() const;

    // Byte ranges, crossing region boundaries as needed. Accesses to I/O
    // regions are split into the largest sizes the device accepts.
    AccessResult read(uint64_t addr, void* buf, uint64_t len) const;
    AccessResult write(uint64_t addr, const void* buf, uint64_t len) const;
    // Like write() but also stores into ROM: how firmware images are loaded
    // at guest addresses. I/O regions are skipped.
    AccessResult write_rom(uint64_t addr, const void* buf, uint64_t len) const;

    // One access of 1, 2, 4 or 8 bytes, as a CPU issues it: an I/O region
    // sees a single access of that size (subject to its size rules).
    uint64_t load(uint64_t addr, unsigned size, AccessResult* result = nullptr) const;
    AccessResult store(uint64_t addr, uint64_t value, unsigned size) const;

    uint8_t ldub(uint64_t addr) const { return static_cast<uint8_t>(load(addr, 1)); }
    uint16_t lduw(uint64_t addr) const { return static_cast<uint16_t>(load(addr, 2)); }
    uint32_t ldl(uint64_t addr) const { return static_cast<uint32_t>(load(addr, 4)); }
    uint64_t ldq(uint64_t addr) const { return load(addr, 8); }
    void stb(uint64_t addr, uint8_t value) const { store(addr, value, 1); }
    void stw(uint64_t addr, uint16_t value) const { store(addr, value, 2); }
    void stl(uint64_t addr, uint32_t value) const { store(addr, value, 4); }
    void stq(uint64_t addr, uint64_t value) const { store(addr, value, 8); }

    // For a TLB fill: what is at `addr` in the current view.
    // Lock-free while the view stays the same: each thread keeps the view
    // it last used (page walks and TLB fills run this per access).
    Translation translate(uint64_t addr) const;

    // Called whenever a new, different view is published (TLB flush, KVM
    // slot update). Returns an id for remove_listener().
    uint64_t add_listener(Listener listener);
    void remove_listener(uint64_t id);

    // All address spaces in creation order (for `info mtree`).
    static const std::vector<AddressSpace*>& all();

    // Re-renders and publishes if the view changed. Called at commit;
    // public for tests and for code that changes regions outside the API.
    void update();

  private:
    MemoryRegion& root_;
    std::string name_;
    // The published view. A plain mutex rather than
    // std::atomic<std::shared_ptr>: GCC 12's version is itself a spin lock,
    // and one whose unlock ThreadSanitizer (rightly) reports as a race. The
    // critical sections are a pointer copy and a reference-count update.
    mutable std::mutex view_lock_;
    std::shared_ptr<const FlatView> view_;
    // Changes with every view published, unique across all address spaces
    // (a thread's cached view is current when its stamp is this one).
    std::atomic<uint64_t> stamp_;
    std::vector<std::pair<uint64_t, Listener>> listeners_;
    uint64_t next_listener_id_ = 1;
};

}  // namespace mimic::memory
