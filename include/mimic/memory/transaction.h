// Batching region changes so that address spaces re-render once.
//
// Every region change re-renders all address spaces right away unless a
// Transaction is open; then they re-render once when the outermost one
// closes. Changes that must appear to the guest together (PAM registers
// switching several aliases, a BAR move that disables and re-enables) belong
// in one transaction, so vCPUs never observe the intermediate state.
//
// Like every region change, transactions belong to the thread holding the
// BQL; the nesting depth is not protected by anything else.
#pragma once

namespace mimic::memory {

class Transaction {
  public:
    Transaction();
    ~Transaction();
    Transaction(const Transaction&) = delete;
    Transaction& operator=(const Transaction&) = delete;
};

namespace detail {
// Called by MemoryRegion after each change.
void region_changed();
}  // namespace detail

}  // namespace mimic::memory
