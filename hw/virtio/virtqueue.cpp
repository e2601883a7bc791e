#include "virtqueue.h"

#include <fmt/format.h>

#include <algorithm>

#include "virtio_regs.h"

namespace mimic::hw::virtio {
namespace {

constexpr uint64_t kDescSize = 16;

struct Desc {
    uint64_t addr;
    uint32_t len;
    uint16_t flags;
    uint16_t next;
};

Desc read_desc(const GuestMemory& mem, uint64_t table, uint32_t index) {
    uint8_t raw[kDescSize];
    if (!mem.read(table + kDescSize * index, raw, kDescSize))
        throw VirtqueueError(
            fmt::format("descriptor {} at 0x{:x} is not in RAM", index, table + kDescSize * index));
    Desc d{};
    for (int i = 7; i >= 0; --i) d.addr = d.addr << 8 | raw[i];
    d.len = static_cast<uint32_t>(raw[8] | raw[9] << 8 | raw[10] << 16 |
                                  static_cast<uint32_t>(raw[11]) << 24);
    d.flags = static_cast<uint16_t>(raw[12] | raw[13] << 8);
    d.next = static_cast<uint16_t>(raw[14] | raw[15] << 8);
    return d;
}

// Walks the segments from byte `offset` on, calling `step(addr, len, done)`.
template <class Step>
bool for_range(const std::vector<Segment>& segments, uint64_t offset, uint64_t len, Step step) {
    uint64_t done = 0;
    for (const Segment& s : segments) {
        if (done == len) break;
        if (offset >= s.len) {
            offset -= s.len;
            continue;
        }
        uint64_t n = std::min<uint64_t>(s.len - offset, len - done);
        if (!step(s.addr + offset, n, done)) return false;
        done += n;
        offset = 0;
    }
    return done == len;
}

}  // namespace

bool Element::read_out(const GuestMemory& mem, uint64_t offset, void* buf, uint64_t len) const {
    auto* bytes = static_cast<uint8_t*>(buf);
    return for_range(out, offset, len, [&](uint64_t addr, uint64_t n, uint64_t done) {
        return mem.read(addr, bytes + done, n);
    });
}

bool Element::write_in(const GuestMemory& mem, uint64_t offset, const void* buf,
                       uint64_t len) const {
    auto* bytes = static_cast<const uint8_t*>(buf);
    return for_range(in, offset, len, [&](uint64_t addr, uint64_t n, uint64_t done) {
        return mem.write(addr, bytes + done, n);
    });
}

void Virtqueue::reset() {
    size_ = max_size_;
    desc_ = avail_ = used_ = 0;
    enabled_ = false;
    vector_ = kNoVector;
    indirect_ = event_idx_ = false;
    last_avail_idx_ = used_idx_ = signalled_used_ = 0;
    signalled_used_valid_ = false;
    in_flight_ = 0;
}

void Virtqueue::set_legacy_pfn(uint32_t pfn) {
    uint16_t vector = vector_;
    bool indirect = indirect_, event_idx = event_idx_;
    reset();
    vector_ = vector;
    set_features(indirect, event_idx);
    if (pfn == 0) return;
    desc_ = uint64_t{pfn} << legacy::kPfnShift;
    avail_ = desc_ + kDescSize * size_;
    uint64_t avail_end = avail_ + 4 + 2 * uint64_t{size_} + 2;
    used_ = (avail_end + legacy::kQueueAlign - 1) & ~uint64_t{legacy::kQueueAlign - 1};
    enabled_ = true;
}

uint16_t Virtqueue::avail_idx(const GuestMemory& mem) const {
    uint16_t idx;
    if (!mem.read16(avail_ + 2, idx))
        throw VirtqueueError(fmt::format("available ring at 0x{:x} is not in RAM", avail_));
    return idx;
}

std::optional<Element> Virtqueue::pop(const GuestMemory& mem) {
    if (!ready()) return std::nullopt;
    uint16_t idx = avail_idx(mem);
    uint16_t pending = static_cast<uint16_t>(idx - last_avail_idx_);
    if (pending == 0) return std::nullopt;
    if (pending > size_)
        throw VirtqueueError(
            fmt::format("available index moved {} entries ahead of a ring of {}", pending, size_));
    uint16_t head;
    if (!mem.read16(avail_ + 4 + 2 * uint64_t{static_cast<uint16_t>(last_avail_idx_ % size_)},
                    head))
        throw VirtqueueError("available ring is not in RAM");
    if (head >= size_)
        throw VirtqueueError(fmt::format("head {} beyond a ring of {}", head, size_));
    Element element;
    element.head = head;
    walk(mem, desc_, size_, head, false, element);
    ++last_avail_idx_;
    ++in_flight_;
    if (event_idx_ && !mem.write16(used_ + 4 + 8 * uint64_t{size_}, last_avail_idx_))
        throw VirtqueueError("used ring is not in RAM");
    return element;
}

void Virtqueue::walk(const GuestMemory& mem, uint64_t table, uint32_t count, uint16_t index,
                     bool indirect, Element& element) const {
    // A chain visits each descriptor of its table at most once: more steps
    // than entries means a loop.
    for (uint32_t steps = 0;; ++steps) {
        if (steps >= count)
            throw VirtqueueError("descriptor chain loops or is longer than its table");
        if (index >= count)
            throw VirtqueueError(
                fmt::format("descriptor index {} beyond a table of {}", index, count));
        Desc d = read_desc(mem, table, index);
        if (d.flags & kDescIndirect) {
            if (!indirect_)
                throw VirtqueueError("indirect descriptor without VIRTIO_F_INDIRECT_DESC");
            if (indirect) throw VirtqueueError("indirect descriptor inside an indirect table");
            if (d.flags & kDescNext) throw VirtqueueError("indirect descriptor with NEXT set");
            if (d.len == 0 || d.len % kDescSize)
                throw VirtqueueError(fmt::format("indirect table of {} bytes", d.len));
            uint32_t entries = d.len / static_cast<uint32_t>(kDescSize);
            if (entries > kQueueMaxSize)
                throw VirtqueueError(fmt::format("indirect table of {} descriptors", entries));
            if (!mem.is_ram(d.addr, d.len, false))
                throw VirtqueueError("indirect table is not in RAM");
            walk(mem, d.addr, entries, 0, true, element);
            return;
        }
        bool writable = d.flags & kDescWrite;
        if (!writable && !element.in.empty())
            throw VirtqueueError("device-readable descriptor after a writable one");
        if (element.in.size() + element.out.size() >= kQueueMaxSize)
            throw VirtqueueError("too many descriptors in a chain");
        if (!mem.is_ram(d.addr, d.len, writable))
            throw VirtqueueError(fmt::format("buffer 0x{:x}+0x{:x} is not in RAM", d.addr, d.len));
        (writable ? element.in : element.out).push_back({d.addr, d.len});
        (writable ? element.in_bytes : element.out_bytes) += d.len;
        if (!(d.flags & kDescNext)) return;
        index = d.next;
    }
}

void Virtqueue::push(const GuestMemory& mem, const Element& element, uint32_t written) {
    uint64_t slot = used_ + 4 + 8 * uint64_t{static_cast<uint16_t>(used_idx_ % size_)};
    if (!mem.write32(slot, element.head) || !mem.write32(slot + 4, written))
        throw VirtqueueError("used ring is not in RAM");
    ++used_idx_;
    if (!mem.write16(used_ + 2, used_idx_)) throw VirtqueueError("used ring is not in RAM");
    if (in_flight_) --in_flight_;
}

bool Virtqueue::should_notify(const GuestMemory& mem, bool notify_on_empty) {
    if (notify_on_empty && in_flight_ == 0 && avail_idx(mem) == last_avail_idx_) return true;
    if (!event_idx_) {
        uint16_t flags;
        if (!mem.read16(avail_, flags)) throw VirtqueueError("available ring is not in RAM");
        return !(flags & kAvailNoInterrupt);
    }
    uint16_t used_event;
    if (!mem.read16(avail_ + 4 + 2 * uint64_t{size_}, used_event))
        throw VirtqueueError("available ring is not in RAM");
    bool valid = signalled_used_valid_;
    uint16_t old_idx = signalled_used_;
    signalled_used_ = used_idx_;
    signalled_used_valid_ = true;
    // vring_need_event: did used_idx pass used_event since the last signal?
    return !valid || static_cast<uint16_t>(used_idx_ - used_event - 1) <
                         static_cast<uint16_t>(used_idx_ - old_idx);
}

}  // namespace mimic::hw::virtio
