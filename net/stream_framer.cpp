// The 4-byte length prefix of QEMU's stream socket back ends.
#include "mimic/net/socket.h"

namespace mimic::net {

bool StreamFramer::feed(std::span<const uint8_t> data,
                        const std::function<void(std::span<const uint8_t>)>& on_frame) {
    while (!data.empty()) {
        if (header_have_ < 4) {
            header_[header_have_++] = data.front();
            data = data.subspan(1);
            if (header_have_ == 4) {
                frame_len_ = uint32_t{header_[0]} << 24 | uint32_t{header_[1]} << 16 | uint32_t{header_[2]} << 8 |
                             header_[3];
                if (frame_len_ > kMaxFrame) return false;
                frame_.clear();
                frame_.reserve(frame_len_);
            }
        } else {
            size_t take = std::min(data.size(), frame_len_ - frame_.size());
            frame_.insert(frame_.end(), data.begin(), data.begin() + static_cast<ptrdiff_t>(take));
            data = data.subspan(take);
        }
        if (header_have_ == 4 && frame_.size() == frame_len_) {
            header_have_ = 0;
            on_frame(frame_);
        }
    }
    return true;
}

void StreamFramer::reset() {
    header_have_ = 0;
    frame_.clear();
    frame_len_ = 0;
}

std::vector<uint8_t> StreamFramer::encode(std::span<const uint8_t> frame) {
    auto len = static_cast<uint32_t>(frame.size());
    std::vector<uint8_t> out{static_cast<uint8_t>(len >> 24), static_cast<uint8_t>(len >> 16),
                             static_cast<uint8_t>(len >> 8), static_cast<uint8_t>(len)};
    out.insert(out.end(), frame.begin(), frame.end());
    return out;
}

}  // namespace mimic::net
