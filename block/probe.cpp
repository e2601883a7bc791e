#include "probe.h"

#include <cstring>

namespace mimic::block {
namespace {

struct Signature {
    const char* format;
    size_t offset;
    const char* magic;
    size_t length;
};

constexpr Signature kSignatures[] = {
    {"qcow2", 0, "QFI\xfb", 4},   // qcow v1 shares the magic; version decides
    {"qed", 0, "QED\0", 4},
    {"vmdk", 0, "KDMV", 4},
    {"vmdk", 0, "COWD", 4},
    {"vpc", 0, "conectix", 8},
    {"vhdx", 0, "vhdxfile", 8},
    {"vdi", 64, "\x7f\x10\xda\xbe", 4},
    {"luks", 0, "LUKS\xba\xbe", 6},
    {"bochs", 0, "Bochs Virtual HD Image", 22},
    {"cloop", 0, "#!/bin/sh\n#V2.0 Format\nmodprobe cloop", 37},
    {"dmg", 0, "koly", 0},   // trailer-based; never matches a head
    {"parallels", 0, "WithoutFreeSpace", 16},
    {"parallels", 0, "WithouFreSpacExt", 16},
};

}  // namespace

std::string probe_buffer(const uint8_t* head, size_t length) {
    for (const auto& sig : kSignatures) {
        if (sig.length == 0 || sig.offset + sig.length > length) continue;
        if (std::memcmp(head + sig.offset, sig.magic, sig.length) != 0) continue;
        if (std::strcmp(sig.format, "qcow2") == 0) {
            uint32_t version = (uint32_t{head[4]} << 24) | (head[5] << 16) | (head[6] << 8) | head[7];
            return version == 1 ? "qcow" : "qcow2";
        }
        return sig.format;
    }
    return "raw";
}

}  // namespace mimic::block
