// The "iothread" object: in QEMU a thread with its own event loop that
// devices (virtio-blk, virtio-scsi) can be told to run their I/O in, with
// adaptive polling tuned by the poll-* properties. Mimic runs no extra
// thread for it: devices here do their I/O on the main loop, so the object
// and its properties exist as QEMU's do (scripts create, read and tune
// them), but no device uses them yet.
#include <nlohmann/json.hpp>

#include <cstdint>
#include <limits>

#include "mimic/qom/user_creatable.h"
#include "mimic/util/error.h"

namespace mimic::qom {

namespace {

class IoThread : public UserCreatable {
public:
    static std::vector<Property> properties() {
        return {
            // QEMU's default on hosts with ppoll (Linux): 32 microseconds.
            prop::int64("poll-max-ns", &IoThread::poll_max_ns_, int64_t{32768}),
            prop::int64("poll-grow", &IoThread::poll_grow_, int64_t{0}),
            prop::int64("poll-shrink", &IoThread::poll_shrink_, int64_t{0}),
            prop::int64("aio-max-batch", &IoThread::aio_max_batch_, int64_t{0}),
        };
    }

private:
    // Every property is a non-negative int64, checked on each write as QEMU's
    // setters do (at creation and by qom-set alike).
    void validate_property(const Property& property) const override {
        int64_t value = get_property(property.name).get<int64_t>();
        if (value < 0) {
            throw Error("{} value must be in range [0, {}]", property.name, std::numeric_limits<int64_t>::max());
        }
    }

    int64_t poll_max_ns_ = 0;
    int64_t poll_grow_ = 0;
    int64_t poll_shrink_ = 0;
    int64_t aio_max_batch_ = 0;
};

MIMIC_REGISTER_TYPE({
    .name = "iothread",
    .parent = kTypeUserCreatable,
    .factory = factory_of<IoThread>(),
    .properties = IoThread::properties(),
});

}  // namespace

void link_iothread_type() {}

}  // namespace mimic::qom
