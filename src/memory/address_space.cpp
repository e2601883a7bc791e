#include "mimic/memory/address_space.h"

#include <algorithm>
#include <bit>
#include <cstring>
#include <utility>

#include "mimic/memory/code_tracking.h"
#include "mimic/memory/memory_region.h"
#include "mimic/util/log.h"
#include "mmio_dispatch.h"

namespace mimic::memory {

namespace {

// Never destroyed: regions and address spaces with static storage may be
// torn down after it would be, and their destructors consult it.
std::vector<AddressSpace*>& registry() {
    static auto* spaces = new std::vector<AddressSpace*>;
    return *spaces;
}

enum class Direction { kRead, kWrite, kWriteRom };

uint64_t load_le(const uint8_t* bytes, unsigned size) {
    uint64_t value = 0;
    for (unsigned i = 0; i < size; ++i) value |= uint64_t{bytes[i]} << (i * 8);
    return value;
}

void store_le(uint8_t* bytes, uint64_t value, unsigned size) {
    for (unsigned i = 0; i < size; ++i) bytes[i] = static_cast<uint8_t>(value >> (i * 8));
}

void log_unassigned(Direction dir, uint64_t addr, uint64_t len) {
    // QEMU's wording for an access nothing decodes, so logs compare.
    MIMIC_LOG(log::kGuestErrors,
              "Invalid {} at addr 0x{:X}, size {}, region '(null)', reason: rejected\n",
              dir == Direction::kRead ? "read" : "write", addr, len);
}

bool reads_direct(const FlatRange& range) {
    RegionKind kind = range.region->kind();
    return kind == RegionKind::kRam || kind == RegionKind::kRom || range.romd;
}

// Bookkeeping after bytes changed in a region's memory: dirty pages for
// displays, then the translator's hook (which may look at the new bytes).
void note_memory_write(const FlatRange& range, uint64_t offset, uint64_t len) {
    if (range.dirty_log) {
        range.region->ram_block()->dirty_pages().set_range(offset >> kPageBits,
                                                           (offset + len - 1) >> kPageBits);
    }
    detail::notify_code_write(*range.region, offset, len);
}

// `len` bytes at `addr`, all inside `range`.
AccessResult access_range(const FlatRange& range, uint64_t addr, uint8_t* buf, uint64_t len,
                          Direction dir) {
    MemoryRegion& region = *range.region;
    uint64_t offset = range.offset_of(addr);
    RegionKind kind = region.kind();
    bool has_memory = region.host() != nullptr;

    if (dir == Direction::kRead && reads_direct(range)) {
        std::memcpy(buf, region.host() + offset, len);
        return AccessResult::kOk;
    }
    if (dir == Direction::kWriteRom) {
        // Loading firmware: any memory-backed region takes the bytes, even
        // ROM; callbacks are not firmware's business.
        if (has_memory) {
            std::memcpy(region.host() + offset, buf, len);
            note_memory_write(range, offset, len);
        }
        return AccessResult::kOk;
    }
    if (dir == Direction::kWrite && kind != RegionKind::kIo && kind != RegionKind::kRomDevice) {
        if (range.readonly) {
            // Dropped without a log line: firmware writes into ROM and into
            // write-protected shadow RAM as a matter of course, and QEMU's
            // CPU path discards those writes silently too.
            return AccessResult::kRejected;
        }
        std::memcpy(region.host() + offset, buf, len);
        note_memory_write(range, offset, len);
        return AccessResult::kOk;
    }
    // Callbacks: I/O regions, ROM-device writes, ROM device reads in I/O mode.
    AccessResult result = AccessResult::kOk;
    while (len > 0) {
        unsigned size = mmio_access_size(region, offset, len);
        if (dir == Direction::kRead) {
            uint64_t value = 0;
            result = merge(result, mmio_read(region, offset, size, &value));
            store_le(buf, value, size);
        } else {
            result = merge(result, mmio_write(region, offset, size, load_le(buf, size)));
        }
        buf += size;
        offset += size;
        len -= size;
    }
    return result;
}

AccessResult access_buffer(const FlatView& view, uint64_t addr, uint8_t* buf, uint64_t len,
                           Direction dir) {
    AccessResult result = AccessResult::kOk;
    while (len > 0) {
        uint64_t chunk = std::min(len, view.remaining(addr));
        if (const FlatRange* range = view.find(addr)) {
            result = merge(result, access_range(*range, addr, buf, chunk, dir));
        } else {
            if (dir == Direction::kRead) std::memset(buf, 0xff, chunk);
            if (dir != Direction::kWriteRom) log_unassigned(dir, addr, chunk);
            result = merge(result, AccessResult::kUnassigned);
        }
        buf += chunk;
        addr += chunk;  // wraps at the top of the space, like the address bus
        len -= chunk;
    }
    return result;
}

bool valid_size(unsigned size) { return size >= 1 && size <= 8 && std::has_single_bit(size); }

}  // namespace

namespace {

uint64_t next_stamp() {
    static std::atomic<uint64_t> counter{0};
    return counter.fetch_add(1, std::memory_order_relaxed) + 1;
}

}  // namespace

AddressSpace::AddressSpace(MemoryRegion& root, std::string name)
    : root_(root), name_(std::move(name)), stamp_(next_stamp()) {
    view_ = std::make_shared<const FlatView>(render_flat_view(root_));
    registry().push_back(this);
}

AddressSpace::~AddressSpace() { std::erase(registry(), this); }

const std::vector<AddressSpace*>& AddressSpace::all() { return registry(); }

void AddressSpace::update() {
    auto fresh = std::make_shared<const FlatView>(render_flat_view(root_));
    if (*fresh == *view()) return;
    std::shared_ptr<const FlatView> old;
    {
        std::lock_guard<std::mutex> guard(view_lock_);
        old = std::exchange(view_, fresh);
    }
    // After the swap: a reader that sees the new stamp gets the new view.
    stamp_.store(next_stamp(), std::memory_order_release);
    // Freed here (not under the lock) unless a reader still holds it; then
    // that reader frees it when done.
    old.reset();
    // Copy: a listener may remove itself (or others) while being called.
    auto listeners = listeners_;
    for (auto& [id, listener] : listeners) listener(*this, *fresh);
}

std::shared_ptr<const FlatView> AddressSpace::view() const {
    std::lock_guard<std::mutex> guard(view_lock_);
    return view_;
}

Translation AddressSpace::translate(uint64_t addr) const {
    // The stamp is read before the view: a view published in between is
    // taken with the older stamp and so fetched again next time.
    thread_local uint64_t cached_stamp = 0;
    thread_local std::shared_ptr<const FlatView> cached_view;
    const uint64_t stamp = stamp_.load(std::memory_order_acquire);
    if (stamp != cached_stamp) {
        cached_view = view();
        cached_stamp = stamp;
    }
    return cached_view->translate(addr);
}

uint64_t AddressSpace::add_listener(Listener listener) {
    uint64_t id = next_listener_id_++;
    listeners_.emplace_back(id, std::move(listener));
    return id;
}

void AddressSpace::remove_listener(uint64_t id) {
    std::erase_if(listeners_, [id](const auto& entry) { return entry.first == id; });
}

AccessResult AddressSpace::read(uint64_t addr, void* buf, uint64_t len) const {
    return access_buffer(*view(), addr, static_cast<uint8_t*>(buf), len, Direction::kRead);
}

AccessResult AddressSpace::write(uint64_t addr, const void* buf, uint64_t len) const {
    // The write paths never store through `buf`.
    return access_buffer(*view(), addr, static_cast<uint8_t*>(const_cast<void*>(buf)), len,
                         Direction::kWrite);
}

AccessResult AddressSpace::write_rom(uint64_t addr, const void* buf, uint64_t len) const {
    return access_buffer(*view(), addr, static_cast<uint8_t*>(const_cast<void*>(buf)), len,
                         Direction::kWriteRom);
}

uint64_t AddressSpace::load(uint64_t addr, unsigned size, AccessResult* result) const {
    AccessResult status = AccessResult::kRejected;
    uint64_t value = ~uint64_t{0};
    if (valid_size(size)) {
        std::shared_ptr<const FlatView> snapshot = view();
        const FlatRange* range = snapshot->find(addr);
        if (range && range->last - addr >= size - 1) {
            // Whole access in one range: one access of the CPU's size.
            if (reads_direct(*range)) {
                value = load_le(range->region->host() + range->offset_of(addr), size);
                status = AccessResult::kOk;
            } else {
                status = mmio_read(*range->region, range->offset_of(addr), size, &value);
            }
        } else {
            // Straddles ranges (or hits nothing): byte-exact slow path.
            uint8_t bytes[8];
            status = access_buffer(*snapshot, addr, bytes, size, Direction::kRead);
            value = load_le(bytes, size);
        }
    }
    if (result) *result = status;
    return value;
}

AccessResult AddressSpace::store(uint64_t addr, uint64_t value, unsigned size) const {
    if (!valid_size(size)) return AccessResult::kRejected;
    std::shared_ptr<const FlatView> snapshot = view();
    const FlatRange* range = snapshot->find(addr);
    uint8_t bytes[8];
    store_le(bytes, value, size);
    if (range && range->last - addr >= size - 1) {
        RegionKind kind = range->region->kind();
        // Callbacks see one access of the CPU's size.
        if (kind == RegionKind::kIo || kind == RegionKind::kRomDevice) {
            return mmio_write(*range->region, range->offset_of(addr), size, value);
        }
        return access_range(*range, addr, bytes, size, Direction::kWrite);
    }
    // Straddles ranges (or hits nothing): byte-exact slow path.
    return access_buffer(*snapshot, addr, bytes, size, Direction::kWrite);
}

}  // namespace mimic::memory
