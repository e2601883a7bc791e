// "ringbuf" (alias "memory"): output kept in a ring buffer in memory,
// newest bytes overwriting oldest; what QMP ringbuf-read returns and how
// tests capture guest serial output without any host I/O.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "mimic/chardev/chardev.h"

namespace mimic::chardev {

class RingbufChardev : public Chardev {
public:
    static constexpr size_t kDefaultSize = 65536;

    // `size` must be a power of two (checked by the factory).
    RingbufChardev(std::string id, size_t size);

    const char* backend_name() const override { return "ringbuf"; }

    // Takes up to `max` of the oldest buffered output bytes.
    std::string read(size_t max);
    size_t count() const { return count_; }

    // Input for the front end (QMP ringbuf-write); delivered as fast as the
    // front end accepts it.
    void write_input(std::string_view data);
    void accept_input() override;

protected:
    size_t do_write(std::span<const uint8_t> data) override;

private:
    void flush_input();

    std::vector<uint8_t> buffer_;
    size_t head_ = 0;   // next write position
    size_t count_ = 0;  // bytes held, <= buffer_.size()
    std::string pending_input_;
};

}  // namespace mimic::chardev
