#include "mimic/chardev/ringbuf.h"

#include <algorithm>
#include <memory>

#include "backends.h"
#include "mimic/util/error.h"
#include "mimic/util/size.h"

namespace mimic::chardev {

RingbufChardev::RingbufChardev(std::string id, size_t size) : Chardev(std::move(id)), buffer_(size) {
    set_open(true);
}

size_t RingbufChardev::do_write(std::span<const uint8_t> data) {
    // Never blocks: the oldest output is what gets lost.
    for (uint8_t c : data) {
        buffer_[head_] = c;
        head_ = (head_ + 1) & (buffer_.size() - 1);
        count_ = std::min(count_ + 1, buffer_.size());
    }
    return data.size();
}

std::string RingbufChardev::read(size_t max) {
    size_t n = std::min(max, count_);
    size_t tail = (head_ - count_) & (buffer_.size() - 1);
    std::string out;
    out.reserve(n);
    for (size_t i = 0; i < n; i++) out += static_cast<char>(buffer_[(tail + i) & (buffer_.size() - 1)]);
    count_ -= n;
    return out;
}

void RingbufChardev::write_input(std::string_view data) {
    pending_input_.append(data);
    flush_input();
}

void RingbufChardev::accept_input() { flush_input(); }

void RingbufChardev::flush_input() {
    while (!pending_input_.empty()) {
        size_t n = std::min(frontend_can_receive(), pending_input_.size());
        if (n == 0) return;
        std::string chunk = pending_input_.substr(0, n);
        pending_input_.erase(0, n);
        frontend_receive(std::span(reinterpret_cast<const uint8_t*>(chunk.data()), chunk.size()));
    }
}

std::unique_ptr<Chardev> create_ringbuf(const std::string& id, const ChardevOptions& options) {
    uint64_t size = RingbufChardev::kDefaultSize;
    if (auto text = opt_string(options, "size")) {
        std::optional<uint64_t> parsed = parse_size(*text);
        if (!parsed) throw Error("Parameter 'size' expects a size");
        size = *parsed;
    }
    if (size == 0 || (size & (size - 1)) != 0 || size > (uint64_t{1} << 30)) {
        throw Error("size of ringbuf chardev must be power of two");
    }
    return std::make_unique<RingbufChardev>(id, static_cast<size_t>(size));
}

}  // namespace mimic::chardev
