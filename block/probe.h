// Format probing from an image's first bytes.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

namespace mimic::block {

// The format whose signature `head` carries, or "raw". Knows the magic
// numbers of formats Mimic does not implement too, so that a raw image
// cannot be made to look like any of them.
std::string probe_buffer(const uint8_t* head, size_t length);

}  // namespace mimic::block
