// An LRU cache of metadata tables (L2 tables, refcount blocks) keyed by host
// offset. Entries are identical to the disk unless marked dirty: lazy
// refcounts keep refcount blocks here until a flush, and a dirty entry is
// written back (through the writer) before it is evicted.
#pragma once

#include <cstdint>
#include <functional>
#include <list>
#include <unordered_map>
#include <vector>

namespace mimic::block::qcow2 {

class TableCache {
public:
    using Loader = std::function<void(uint64_t offset, uint8_t* buf)>;
    using Writer = std::function<void(uint64_t offset, const uint8_t* buf)>;

    void configure(size_t table_bytes, size_t max_tables) {
        table_bytes_ = table_bytes;
        max_tables_ = max_tables ? max_tables : 1;
        clear();
    }
    void set_writer(Writer writer) { writer_ = std::move(writer); }

    // The table at `offset`, loaded with `load` on a miss. The pointer is
    // valid until the next get() or forget().
    uint8_t* get(uint64_t offset, const Loader& load);
    // A table whose contents the caller writes entirely (a new table).
    uint8_t* put_new(uint64_t offset);
    // The cached table at `offset` differs from the disk; it must be cached.
    void mark_dirty(uint64_t offset);
    bool has_dirty() const { return dirty_count_ > 0; }
    // Writes every dirty table back, in offset order.
    void write_back();
    void forget(uint64_t offset);
    void clear() { lru_.clear(); map_.clear(); dirty_count_ = 0; }

private:
    struct Entry {
        uint64_t offset;
        std::vector<uint8_t> data;
        bool dirty = false;
    };
    uint8_t* insert(uint64_t offset);

    size_t table_bytes_ = 0;
    size_t max_tables_ = 16;
    size_t dirty_count_ = 0;
    Writer writer_;
    std::list<Entry> lru_;   // front = most recently used
    std::unordered_map<uint64_t, std::list<Entry>::iterator> map_;
};

}  // namespace mimic::block::qcow2
