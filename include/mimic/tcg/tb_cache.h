// All translation blocks: lookup by (physical pc, pc, cs_base, flags),
// chaining, invalidation by physical address range and full flush.
//
// TranslationBlock objects stay allocated (marked invalid) after
// invalidation until the next flush(), so pointers held by jump caches or by
// code still running cannot dangle; a flush frees them all and bumps
// generation() so that jump caches drop their entries.
#pragma once

#include <cstdint>
#include <memory>
#include <unordered_map>
#include <vector>

#include "mimic/tcg/backend.h"
#include "mimic/tcg/code_bitmap.h"
#include "mimic/tcg/jump_table.h"
#include "mimic/tcg/tb.h"
#include "mimic/tcg/tb_hash_table.h"

namespace mimic::tcg {

struct TbKey {
    uint64_t phys_pc;
    uint64_t pc;
    uint64_t cs_base;
    uint32_t flags;
    uint32_t cs_limit = 0;
};

class TbCache {
public:
    explicit TbCache(Backend& backend);
    Backend& backend() { return backend_; }

    TranslationBlock* lookup(const TbKey& key) const;
    // A new block for key, not yet findable; translate it, then insert() it.
    TranslationBlock* create(const TbKey& key);
    void insert(TranslationBlock* tb);

    // Patches from's goto_tb `slot` to jump straight to `to`; a guarded slot
    // (goto_tb_guarded) with the TLB token of to's page.
    void link(TranslationBlock* from, unsigned slot, TranslationBlock* to, uint64_t token = 0);
    // Unlinks tb in both directions and makes it unfindable.
    void invalidate(TranslationBlock* tb);
    // Invalidates every block with guest code in [start, end); returns how
    // many. A range touching no code byte (code_bitmap.h) costs a lookup.
    size_t invalidate_phys_range(uint64_t start, uint64_t end);
    // Whether any byte of [start, end) is guest code of a valid block: a
    // store there must invalidate blocks, one elsewhere on the page need not.
    bool range_has_code(uint64_t start, uint64_t end);
    // Whether any valid block has code on the physical page of addr.
    bool page_has_code(uint64_t addr) const;
    // Drops every block and all generated code.
    void flush();

    uint64_t generation() const { return generation_; }
    // The jump tables of the vCPUs running this cache's code, kept exact:
    // invalidating a block drops its entry, a flush clears them.
    void attach(JumpTable* table) { jump_tables_.push_back(table); }
    void detach(JumpTable* table) { std::erase(jump_tables_, table); }
    size_t size() const { return by_pc_.size(); }            // findable blocks
    size_t allocated() const { return all_.size(); }         // including invalidated ones

private:
    // The blocks with code on one physical page and the bytes they cover.
    struct CodePage {
        std::vector<TranslationBlock*> tbs;
        PageCodeBitmap code;
        // A block left: `code` may still hold its bytes until rebuilt from
        // `tbs` (once, at the next query, however many blocks left).
        bool stale = false;
    };
    void unindex(TranslationBlock* tb);
    // The page's entry with its bitmap up to date, or nullptr if no block has code there.
    CodePage* code_page(uint64_t page);

    Backend& backend_;
    std::vector<std::unique_ptr<TranslationBlock>> all_;
    TbHashTable by_pc_;                                                   // hash: phys_pc, pc, flags mixed
    std::unordered_map<uint64_t, CodePage> pages_;                        // key: physical page
    uint64_t generation_ = 0;
    std::vector<JumpTable*> jump_tables_;
};

}  // namespace mimic::tcg
