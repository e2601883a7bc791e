// Big-endian field access for on-disk structures (qcow2 is big-endian).
#pragma once

#include <cstdint>
#include <cstring>

namespace mimic::block {

inline uint16_t load_be16(const void* p) {
    uint16_t v; std::memcpy(&v, p, 2); return __builtin_bswap16(v);
}
inline uint32_t load_be32(const void* p) {
    uint32_t v; std::memcpy(&v, p, 4); return __builtin_bswap32(v);
}
inline uint64_t load_be64(const void* p) {
    uint64_t v; std::memcpy(&v, p, 8); return __builtin_bswap64(v);
}
inline void store_be16(void* p, uint16_t v) { v = __builtin_bswap16(v); std::memcpy(p, &v, 2); }
inline void store_be32(void* p, uint32_t v) { v = __builtin_bswap32(v); std::memcpy(p, &v, 4); }
inline void store_be64(void* p, uint64_t v) { v = __builtin_bswap64(v); std::memcpy(p, &v, 8); }

}  // namespace mimic::block
