#include "mimic/qom/rng_backend.h"

#include <fcntl.h>
#include <sys/random.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "mimic/qom/property.h"
#include "mimic/qom/type.h"
#include "mimic/util/error.h"

namespace mimic::qom {
namespace {

// "rng-random": reads a host file, /dev/urandom unless filename= says
// otherwise; opened when the object is completed, as QEMU.
class RngRandom : public RngBackend {
  public:
    ~RngRandom() override {
        if (fd_ >= 0) close(fd_);
    }
    void complete() override {
        if (filename_.empty()) filename_ = "/dev/urandom";  // QEMU's default
        int fd = open(filename_.c_str(), O_RDONLY | O_CLOEXEC);
        if (fd < 0) throw Error("Could not open '{}': {}", filename_, std::strerror(errno));
        fd_ = fd;
    }
    size_t read(uint8_t* buf, size_t len) override {
        ssize_t n;
        do {
            n = ::read(fd_, buf, len);
        } while (n < 0 && errno == EINTR);
        return n > 0 ? static_cast<size_t>(n) : 0;
    }

    std::string filename_;
    int fd_ = -1;
};

class RngBuiltin : public RngBackend {
  public:
    size_t read(uint8_t* buf, size_t len) override {
        ssize_t n;
        do {
            n = getrandom(buf, len, 0);
        } while (n < 0 && errno == EINTR);
        return n > 0 ? static_cast<size_t>(n) : 0;
    }
};

MIMIC_REGISTER_TYPE({
    .name = kTypeRngBackend,
    .parent = kTypeUserCreatable,
    .abstract = true,
});

MIMIC_REGISTER_TYPE({
    .name = "rng-random",
    .parent = kTypeRngBackend,
    .factory = factory_of<RngRandom>(),
    .properties = {prop::object_string("filename", &RngRandom::filename_)},
});

MIMIC_REGISTER_TYPE({
    .name = "rng-builtin",
    .parent = kTypeRngBackend,
    .factory = factory_of<RngBuiltin>(),
});

}  // namespace

RngBackend* find_rng_backend(Object& tree, const std::string& id) {
    return dynamic_cast<RngBackend*>(objects_container(tree).child(id));
}

void link_rng_types() {}

}  // namespace mimic::qom
