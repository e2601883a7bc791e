#include "telnet.h"

namespace mimic::chardev {

int TelnetFilter::filter(std::span<const uint8_t> in, std::vector<uint8_t>& out) {
    using namespace telnet;
    int breaks = 0;
    for (uint8_t c : in) {
        switch (state_) {
        case State::kData:
            if (c == kIac) {
                state_ = State::kIac;
            } else {
                out.push_back(c);
            }
            break;
        case State::kIac:
            if (c == kIac) {
                out.push_back(kIac);  // escaped 0xff data byte
                state_ = State::kData;
            } else if (c == kWill || c == kWont || c == kDo || c == kDont) {
                state_ = State::kOption;
            } else if (c == kSb) {
                state_ = State::kSub;
            } else {
                if (c == kBreak) breaks++;
                // Other commands (NOP, AYT, GA, ...) carry no data.
                state_ = State::kData;
            }
            break;
        case State::kOption:
            state_ = State::kData;  // the option byte itself
            break;
        case State::kSub:
            if (c == kIac) state_ = State::kSubIac;
            break;
        case State::kSubIac:
            state_ = c == kSe ? State::kData : State::kSub;
            break;
        }
    }
    return breaks;
}

}  // namespace mimic::chardev
