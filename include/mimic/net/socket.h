// -netdev socket: frames over a host socket, so that two emulators (or an
// emulator and a test) can share an Ethernet segment without privileges.
//
//   listen=[host]:port / connect=host:port   a TCP stream; every frame is
//                                            sent as a 4-byte big-endian
//                                            length and the frame (QEMU's
//                                            framing, so QEMU can be the
//                                            other end)
//   mcast=group:port[,localaddr=addr]        one UDP datagram per frame, to
//                                            a multicast group
//   udp=host:port,localaddr=host:port        one datagram per frame, point
//                                            to point
//   fd=N                                     an open stream or datagram socket
#pragma once

#include <cstdint>
#include <functional>
#include <span>
#include <vector>

namespace mimic::net {

// The receiving side of the stream framing: bytes in, whole frames out.
class StreamFramer {
public:
    // The largest length a peer may announce (QEMU's NET_BUFSIZE).
    static constexpr uint32_t kMaxFrame = 4096 + 65536;

    // Consumes `data`, calling `on_frame` for every frame completed. Returns
    // false when the stream announces a frame longer than kMaxFrame: the
    // stream is then unusable and the caller drops the connection.
    bool feed(std::span<const uint8_t> data, const std::function<void(std::span<const uint8_t>)>& on_frame);
    void reset();

    // The bytes that carry `frame` on the stream.
    static std::vector<uint8_t> encode(std::span<const uint8_t> frame);

private:
    uint8_t header_[4] = {};
    size_t header_have_ = 0;
    std::vector<uint8_t> frame_;
    size_t frame_len_ = 0;
};

}  // namespace mimic::net
