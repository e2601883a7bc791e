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
            prop::object_int("poll-max-ns", &IoThread::poll_max_ns_, 32768),
            prop::object_int("poll-grow", &IoThread::poll_grow_, 0),
            prop::object_int("poll-shrink", &IoThread::poll_shrink_, 0),
            prop::object_int("aio-max-batch", &IoThread::aio_max_batch_, 0),
            // The bounds of the thread pool for blocking work (QEMU's
            // THREAD_POOL_MAX_THREADS_DEFAULT is 64).
            prop::object_int("thread-pool-min", &IoThread::thread_pool_min_, 0),
            prop::object_int("thread-pool-max", &IoThread::thread_pool_max_, 64),
        };
    }

    void complete() override {
        check_thread_pool();
        completed_ = true;
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

    // Once the object exists a new pool bound is applied at once; as in
    // QEMU, a pair it refuses is reported but the value stays set.
    void property_changed(const Property& property) override {
        if (completed_ && property.name.starts_with("thread-pool-")) check_thread_pool();
    }

    void check_thread_pool() const {
        constexpr int64_t kIntMax = std::numeric_limits<int>::max();
        if (thread_pool_min_ > thread_pool_max_ || thread_pool_max_ == 0 || thread_pool_min_ > kIntMax ||
            thread_pool_max_ > kIntMax) {
            throw Error("bad thread-pool-min/thread-pool-max values");
        }
    }

    int64_t poll_max_ns_ = 0;
    int64_t poll_grow_ = 0;
    int64_t poll_shrink_ = 0;
    int64_t aio_max_batch_ = 0;
    int64_t thread_pool_min_ = 0;
    int64_t thread_pool_max_ = 0;
    bool completed_ = false;
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
