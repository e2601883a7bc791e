#include "table_cache.h"

#include <algorithm>
#include <cstring>

namespace mimic::block::qcow2 {

uint8_t* TableCache::insert(uint64_t offset) {
    if (map_.size() >= max_tables_) {
        Entry& victim = lru_.back();
        // Written before it is dropped; if the write fails the entry stays
        // (the cache grows by one) rather than losing the only copy.
        if (victim.dirty) {
            writer_(victim.offset, victim.data.data());
            victim.dirty = false;
            --dirty_count_;
        }
        map_.erase(victim.offset);
        lru_.pop_back();
    }
    lru_.push_front(Entry{offset, std::vector<uint8_t>(table_bytes_)});
    map_[offset] = lru_.begin();
    return lru_.front().data.data();
}

uint8_t* TableCache::get(uint64_t offset, const Loader& load) {
    auto it = map_.find(offset);
    if (it != map_.end()) {
        lru_.splice(lru_.begin(), lru_, it->second);
        return lru_.front().data.data();
    }
    uint8_t* data = insert(offset);
    try {
        load(offset, data);
    } catch (...) {
        forget(offset);
        throw;
    }
    return data;
}

uint8_t* TableCache::put_new(uint64_t offset) {
    forget(offset);
    uint8_t* data = insert(offset);
    std::memset(data, 0, table_bytes_);
    return data;
}

void TableCache::mark_dirty(uint64_t offset) {
    auto it = map_.find(offset);
    if (it == map_.end() || it->second->dirty) return;
    it->second->dirty = true;
    ++dirty_count_;
}

void TableCache::write_back() {
    if (!dirty_count_) return;
    std::vector<Entry*> dirty;
    for (auto& e : lru_)
        if (e.dirty) dirty.push_back(&e);
    std::sort(dirty.begin(), dirty.end(), [](const Entry* a, const Entry* b) { return a->offset < b->offset; });
    for (Entry* e : dirty) {
        writer_(e->offset, e->data.data());
        e->dirty = false;
        --dirty_count_;
    }
}

void TableCache::forget(uint64_t offset) {
    auto it = map_.find(offset);
    if (it == map_.end()) return;
    if (it->second->dirty) --dirty_count_;
    lru_.erase(it->second);
    map_.erase(it);
}

}  // namespace mimic::block::qcow2
