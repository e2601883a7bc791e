#include "mimic/tcg/tb_cache.h"

#include <algorithm>

#include "mimic/tcg/tlb.h"

namespace mimic::tcg {

namespace {

bool matches(const TranslationBlock& tb, const TbKey& key) {
    return tb.pc == key.pc && tb.cs_base == key.cs_base && tb.flags == key.flags && tb.cs_limit == key.cs_limit &&
           tb.phys_pc == key.phys_pc;
}

// The physical byte ranges a block's guest code occupies (one or two pages).
struct Ranges {
    uint64_t start[2], end[2];
    int n;
};

Ranges ranges_of(const TranslationBlock& tb) {
    Ranges r{};
    uint64_t page_end = (tb.phys_pc & kPageMask) + kPageSize;
    uint64_t size = std::max<uint64_t>(tb.size, 1);
    r.start[0] = tb.phys_pc;
    r.end[0] = std::min(tb.phys_pc + size, page_end);
    r.n = 1;
    if (tb.phys_page2 != kNoPage) {
        r.start[1] = tb.phys_page2;
        r.end[1] = tb.phys_page2 + (size - (r.end[0] - r.start[0]));
        r.n = 2;
    }
    return r;
}

// The index key: the physical pc alone would put every mapping of shared
// code (a library at a different address in each process) in one chain
// that every lookup walks.
uint64_t index_key(uint64_t phys_pc, uint64_t pc, uint32_t flags) {
    return phys_pc ^ ((pc ^ (uint64_t{flags} << 32)) * 0x9e3779b97f4a7c15ull);
}

uint64_t index_key_of(const TranslationBlock& tb) { return index_key(tb.phys_pc, tb.pc, tb.flags); }

// Calls f(page, first byte offset, end offset) for each page tb has code on.
template <typename F>
void for_each_code_page(const TranslationBlock& tb, F f) {
    const Ranges r = ranges_of(tb);
    for (int i = 0; i < r.n; ++i) {
        const uint64_t page = r.start[i] & kPageMask;
        f(page, static_cast<unsigned>(r.start[i] - page),
          static_cast<unsigned>(std::min(r.end[i] - page, kPageSize)));
    }
}

}  // namespace

TbCache::TbCache(Backend& backend) : backend_(backend), by_pc_(index_key_of) {}

TranslationBlock* TbCache::lookup(const TbKey& key) const {
    for (TranslationBlock* tb = by_pc_.chain(index_key(key.phys_pc, key.pc, key.flags)); tb; tb = tb->hash_next) {
        if (matches(*tb, key)) return tb;
    }
    return nullptr;
}

TranslationBlock* TbCache::create(const TbKey& key) {
    auto tb = std::make_unique<TranslationBlock>();
    tb->pc = key.pc;
    tb->cs_base = key.cs_base;
    tb->flags = key.flags;
    tb->cs_limit = key.cs_limit;
    tb->phys_pc = key.phys_pc;
    all_.push_back(std::move(tb));
    return all_.back().get();
}

void TbCache::insert(TranslationBlock* tb) {
    by_pc_.insert(index_key_of(*tb), tb);
    for_each_code_page(*tb, [&](uint64_t page, unsigned begin, unsigned end) {
        CodePage& cp = pages_[page];
        cp.tbs.push_back(tb);
        cp.code.add(begin, end);
    });
}

void TbCache::link(TranslationBlock* from, unsigned slot, TranslationBlock* to, uint64_t token) {
    if (from->invalid || to->invalid) return;
    if (from->jmp_guard[slot] != kNoJump) {
        // Guarded: the page's mapping (and so the block) may differ from the
        // one the link was made for; the latest wins.
        if (TranslationBlock* old = from->jmp_dest[slot]; old && old != to) {
            std::erase(old->incoming, std::make_pair(from, slot));
            from->jmp_dest[slot] = nullptr;
        }
        if (!from->jmp_dest[slot]) to->incoming.emplace_back(from, slot);
        from->jmp_dest[slot] = to;
        backend_.patch_jump(*from, slot, to, token);
        return;
    }
    if (from->jmp_dest[slot] == to) return;
    if (from->jmp_dest[slot]) return;   // already chained elsewhere: keep it
    from->jmp_dest[slot] = to;
    to->incoming.emplace_back(from, slot);
    backend_.patch_jump(*from, slot, to);
}

void TbCache::unindex(TranslationBlock* tb) {
    by_pc_.remove(index_key_of(*tb), tb);
    for_each_code_page(*tb, [&](uint64_t page, unsigned, unsigned) {
        auto it = pages_.find(page);
        if (it == pages_.end()) return;
        std::erase(it->second.tbs, tb);
        if (it->second.tbs.empty()) pages_.erase(it);
        else it->second.stale = true;
    });
}

TbCache::CodePage* TbCache::code_page(uint64_t page) {
    auto it = pages_.find(page);
    if (it == pages_.end()) return nullptr;
    CodePage& cp = it->second;
    if (cp.stale) {
        cp.code.clear();
        for (TranslationBlock* tb : cp.tbs) {
            for_each_code_page(*tb, [&](uint64_t p, unsigned begin, unsigned end) {
                if (p == page) cp.code.add(begin, end);
            });
        }
        cp.stale = false;
    }
    return &cp;
}

void TbCache::invalidate(TranslationBlock* tb) {
    if (tb->invalid) return;
    tb->invalid = true;
    unindex(tb);
    for (JumpTable* table : jump_tables_) table->drop(*tb);
    // Blocks jumping here go back to their exit paths.
    for (auto [src, slot] : tb->incoming) {
        if (src->jmp_dest[slot] == tb) {
            src->jmp_dest[slot] = nullptr;
            backend_.patch_jump(*src, slot, nullptr);
        }
    }
    tb->incoming.clear();
    for (unsigned n = 0; n < kNumJumpSlots; ++n) {
        if (TranslationBlock* dest = tb->jmp_dest[n]) {
            std::erase(dest->incoming, std::make_pair(tb, n));
            tb->jmp_dest[n] = nullptr;
            backend_.patch_jump(*tb, n, nullptr);
        }
    }
    // Jump caches check `invalid` themselves; no need to clear them.
}

bool TbCache::range_has_code(uint64_t start, uint64_t end) {
    for (uint64_t page = start & kPageMask; page < end; page += kPageSize) {
        const CodePage* cp = code_page(page);
        const auto begin = static_cast<unsigned>(std::max(start, page) - page);
        const auto stop = static_cast<unsigned>(std::min(end - page, kPageSize));
        if (cp && cp->code.any(begin, stop)) return true;
    }
    return false;
}

size_t TbCache::invalidate_phys_range(uint64_t start, uint64_t end) {
    if (!range_has_code(start, end)) return 0;
    std::vector<TranslationBlock*> victims;
    for (uint64_t page = start & kPageMask; page < end; page += kPageSize) {
        auto it = pages_.find(page);
        if (it == pages_.end()) continue;
        for (TranslationBlock* tb : it->second.tbs) {
            Ranges r = ranges_of(*tb);
            for (int i = 0; i < r.n; ++i) {
                if (r.start[i] < end && start < r.end[i]) {
                    victims.push_back(tb);
                    break;
                }
            }
        }
    }
    for (TranslationBlock* tb : victims) invalidate(tb);
    return victims.size();
}

bool TbCache::page_has_code(uint64_t addr) const { return pages_.count(addr & kPageMask) != 0; }

void TbCache::flush() {
    by_pc_.clear();
    pages_.clear();
    all_.clear();
    backend_.flush();
    for (JumpTable* table : jump_tables_) table->clear();
    ++generation_;
}

}  // namespace mimic::tcg
