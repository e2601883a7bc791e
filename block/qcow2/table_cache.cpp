#include "table_cache.h"

#include <cstring>

namespace mimic::block::qcow2 {

uint8_t* TableCache::insert(uint64_t offset) {
    if (map_.size() >= max_tables_) {
        map_.erase(lru_.back().offset);
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

void TableCache::forget(uint64_t offset) {
    auto it = map_.find(offset);
    if (it == map_.end()) return;
    lru_.erase(it->second);
    map_.erase(it);
}

}  // namespace mimic::block::qcow2
