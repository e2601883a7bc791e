// libFuzzer target: the input is an image file. Opening, reading all of it,
// mapping it, listing snapshots and checking it must end in data or a clean
// error, never a crash, a hang or an out-of-bounds access (run under ASan
// and UBSan). Odd first bytes also try a write, which exercises allocation
// on damaged refcounts.
#include "mimic/block/image.h"
#include "mimic/util/error.h"

#include <sys/mman.h>
#include <unistd.h>

#include <algorithm>
#include <cstdint>
#include <string>
#include <vector>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    using namespace mimic::block;
    int fd = memfd_create("fuzz.qcow2", MFD_CLOEXEC);
    if (fd < 0) return 0;
    if (size && write(fd, data, size) != static_cast<ssize_t>(size)) {
        close(fd);
        return 0;
    }
    OpenOptions o;
    o.filename = "/proc/self/fd/" + std::to_string(fd);
    o.format = "qcow2";
    o.no_backing = true;   // a backing name could point anywhere on the host
    o.read_only = !(size > 0 && (data[size - 1] & 1));
    try {
        auto node = open_image(o);
        uint64_t limit = std::min<uint64_t>(node->size(), 8 << 20);
        std::vector<uint8_t> buf(65536);
        for (uint64_t pos = 0; pos < limit; pos += buf.size())
            node->pread(pos, buf.data(), std::min<uint64_t>(buf.size(), limit - pos));
        for (uint64_t pos = 0, n = 0; pos < limit && n < 4096; ++n) {
            BlockStatus st = node->block_status(pos, limit - pos);
            pos += std::max<uint64_t>(st.bytes, 512);
        }
        (void)node->snapshots();
        if (!o.read_only && limit >= 8192) {
            std::fill(buf.begin(), buf.end(), 0x5a);
            node->pwrite(4096, buf.data(), 4096);
            node->pwrite_zeroes(0, 8192, true);
        }
        node->check(CheckFix::kNone);
    } catch (const mimic::Error&) {
    }
    close(fd);
    return 0;
}
