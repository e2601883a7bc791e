// Text of the monitor's `info mtree`, in QEMU's layout so that users can
// compare machines line by line.
#pragma once

#include <string>
#include <vector>

namespace mimic::memory {

class AddressSpace;

struct MtreeOptions {
    bool flat = false;           // -f: the rendered FlatViews instead of the trees
    bool show_disabled = false;  // -D: include disabled regions, marked [disabled]
};

// Address spaces sharing a root are printed once under all their names.
// After the trees come the regions that aliases point at
// ("memory-region: pc.ram"), as QEMU does.
std::string mtree_text(const std::vector<AddressSpace*>& spaces, MtreeOptions options = {});
// All address spaces (AddressSpace::all()).
std::string mtree_text_all(MtreeOptions options = {});

}  // namespace mimic::memory
