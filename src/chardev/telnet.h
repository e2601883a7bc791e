// Just enough telnet (RFC 854) for a serial console: announce that we echo
// and send characters one at a time in binary, and strip the client's
// option negotiation out of the byte stream.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

namespace mimic::chardev {

namespace telnet {
inline constexpr uint8_t kIac = 255;
inline constexpr uint8_t kDont = 254;
inline constexpr uint8_t kDo = 253;
inline constexpr uint8_t kWont = 252;
inline constexpr uint8_t kWill = 251;
inline constexpr uint8_t kSb = 250;   // subnegotiation begin
inline constexpr uint8_t kBreak = 243;
inline constexpr uint8_t kSe = 240;   // subnegotiation end
inline constexpr uint8_t kOptBinary = 0;
inline constexpr uint8_t kOptEcho = 1;
inline constexpr uint8_t kOptSuppressGoAhead = 3;
}  // namespace telnet

// What the server sends on accepting a client: WILL ECHO and WILL SGA put
// the client in character mode with our (the guest's) echo; binary both
// ways keeps 8-bit data and CR intact.
inline constexpr uint8_t kTelnetGreeting[] = {
    telnet::kIac, telnet::kWill, telnet::kOptEcho,
    telnet::kIac, telnet::kWill, telnet::kOptSuppressGoAhead,
    telnet::kIac, telnet::kWill, telnet::kOptBinary,
    telnet::kIac, telnet::kDo, telnet::kOptBinary,
};

// Removes IAC sequences from client input; keeps state across reads, since
// a sequence may be split between two of them.
class TelnetFilter {
public:
    // Appends the data bytes of `in` to `out`; returns how many BREAKs
    // (IAC BRK) were seen.
    int filter(std::span<const uint8_t> in, std::vector<uint8_t>& out);

private:
    enum class State { kData, kIac, kOption, kSub, kSubIac };
    State state_ = State::kData;
};

}  // namespace mimic::chardev
