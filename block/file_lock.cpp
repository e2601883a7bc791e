// Image locking as QEMU does it, so that Mimic and QEMU processes see each
// other's locks. Each permission a user holds is a shared OFD lock on byte
// 100+bit; each permission it refuses to share is a shared lock on byte
// 200+bit. A conflict is detected by asking whether an exclusive lock on the
// opposite byte could be taken. OFD locks belong to the open file
// description, so closing our fd drops them and our own locks never
// conflict with our own queries.
#include "file.h"

#include "mimic/util/error.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>

namespace mimic::block {
namespace {

constexpr int kPermBase = 100;
constexpr int kSharedBase = 200;

enum Perm : unsigned {
    kConsistentRead = 1u << 0,
    kWrite = 1u << 1,
    kWriteUnchanged = 1u << 2,
    kResize = 1u << 3,
    kAllPerms = 0xf,
};

const char* perm_name(int bit) {
    static const char* const kNames[] = {"consistent read", "write", "write unchanged", "resize"};
    return kNames[bit];
}

bool set_lock(int fd, int byte) {
    struct flock fl = {};
    fl.l_type = F_RDLCK;
    fl.l_whence = SEEK_SET;
    fl.l_start = byte;
    fl.l_len = 1;
    return fcntl(fd, F_OFD_SETLK, &fl) == 0;
}

// True if some other open file description holds a lock on `byte`.
bool byte_is_locked(int fd, int byte) {
    struct flock fl = {};
    fl.l_type = F_WRLCK;
    fl.l_whence = SEEK_SET;
    fl.l_start = byte;
    fl.l_len = 1;
    if (fcntl(fd, F_OFD_GETLK, &fl) != 0) return false;
    return fl.l_type != F_UNLCK;
}

}  // namespace

void lock_image_file(int fd, const std::string& filename, bool write, bool force_share) {
    unsigned perm = kConsistentRead | (write ? kWrite | kResize : 0);
    // A writer tolerates readers; a plain reader wants nobody to write or
    // resize underneath it; -U shares everything.
    // -U only makes sense for readers; QEMU refuses it earlier for writers.
    unsigned shared = force_share && !write ? unsigned{kAllPerms}
                                            : unsigned{kConsistentRead | kWriteUnchanged};

    auto fail = [&](const char* what, int bit) {
        throw Error("Failed to get {}\"{}\" lock\nIs another process using the image [{}]?",
                    what, perm_name(bit), filename);
    };
    for (int bit = 0; bit < 4; ++bit) {
        if ((perm & (1u << bit)) && !set_lock(fd, kPermBase + bit)) fail("", bit);
        if (!(shared & (1u << bit)) && !set_lock(fd, kSharedBase + bit)) fail("shared ", bit);
    }
    for (int bit = 0; bit < 4; ++bit) {
        if ((perm & (1u << bit)) && byte_is_locked(fd, kSharedBase + bit)) fail("", bit);
        if (!(shared & (1u << bit)) && byte_is_locked(fd, kPermBase + bit)) fail("shared ", bit);
    }
}

}  // namespace mimic::block
