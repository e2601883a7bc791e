// The PS/2 mouse behind the i8042 (auxiliary port): a three-button mouse
// (ID 0) with stream and remote modes, which becomes an IntelliMouse (ID 3,
// wheel in a fourth byte) after the sample rates 200, 100, 80, or an
// IntelliMouse Explorer (ID 4, wheel and buttons 4/5) after 200, 200, 80,
// the knocks that drivers use to detect them.
#include <algorithm>

#include "mimic/util/log.h"
#include "ps2.h"

namespace mimic::hw {

void Ps2Mouse::reset() {
    clear_queue();
    stream_mode_ = true;
    enabled_ = false;
    wrap_ = false;
    scaling_2to1_ = false;
    sample_rate_ = 100;
    resolution_ = 2;
    pending_command_ = -1;
    dx_ = dy_ = dz_ = 0;
    device_id_ = 0;
    rates_[0] = rates_[1] = rates_[2] = 0;
}

void Ps2Mouse::move(int dx, int dy, int dz, uint8_t buttons) {
    bool changed = buttons != buttons_;
    buttons_ = buttons & 0x1f;
    // A disabled mouse in stream mode reports nothing, later either.
    if (stream_mode_ && !enabled_) return;
    dx_ += dx;
    dy_ += dy;
    if (device_id_ != 0) dz_ += dz;  // a plain mouse has no wheel to turn
    // Remote mode: motion accumulates until the guest asks (0xEB).
    if (!stream_mode_) return;
    if ((dx_ || dy_ || dz_ || changed) && queue_has_room(device_id_ ? 4 : 3)) send_packet();
}

// A three-byte movement packet. Counts beyond 9 bits saturate; the
// overflow bits are left clear as most guests discard such packets.
void Ps2Mouse::send_packet() {
    int dx = std::clamp(dx_, -256, 255);
    int dy = std::clamp(dy_, -256, 255);
    queue(static_cast<uint8_t>(0x08 | (buttons_ & 7) | (dx < 0 ? 0x10 : 0) | (dy < 0 ? 0x20 : 0)));
    queue(static_cast<uint8_t>(dx));
    queue(static_cast<uint8_t>(dy));
    dx_ -= dx;
    dy_ -= dy;
    if (device_id_ == 3) {
        int dz = std::clamp(dz_, -128, 127);
        queue(static_cast<uint8_t>(dz));
        dz_ -= dz;
    } else if (device_id_ == 4) {
        // Four bits of wheel, then buttons 4 and 5.
        int dz = std::clamp(dz_, -8, 7);
        queue(static_cast<uint8_t>((dz & 0x0f) | ((buttons_ & 0x18) << 1)));
        dz_ -= dz;
    }
}

void Ps2Mouse::write(uint8_t value) {
    if (pending_command_ >= 0) {
        int command = pending_command_;
        pending_command_ = -1;
        if (command == 0xf3) {
            sample_rate_ = value;
            rates_[0] = rates_[1];
            rates_[1] = rates_[2];
            rates_[2] = value;
            if (rates_[0] == 200 && rates_[1] == 100 && rates_[2] == 80 && device_id_ == 0) device_id_ = 3;
            if (rates_[0] == 200 && rates_[1] == 200 && rates_[2] == 80 && device_id_ == 3) device_id_ = 4;
        } else {  // 0xe8
            resolution_ = value & 3;
        }
        reply(0xfa);
        return;
    }
    if (wrap_ && value != 0xec && value != 0xff) {
        reply(value);  // wrap (echo) mode
        return;
    }
    switch (value) {
        case 0xe6:
            scaling_2to1_ = false;
            reply(0xfa);
            break;
        case 0xe7:
            scaling_2to1_ = true;
            reply(0xfa);
            break;
        case 0xe8:  // set resolution
        case 0xf3:  // set sample rate
            pending_command_ = value;
            reply(0xfa);
            break;
        case 0xe9:  // status request: mode/enable/scaling/buttons, resolution, rate
            reply(0xfa);
            reply(static_cast<uint8_t>((stream_mode_ ? 0 : 0x40) | (enabled_ ? 0x20 : 0) |
                                       (scaling_2to1_ ? 0x10 : 0) | (buttons_ & 1 ? 0x04 : 0) |
                                       (buttons_ & 4 ? 0x02 : 0) | (buttons_ & 2 ? 0x01 : 0)));
            reply(resolution_);
            reply(sample_rate_);
            break;
        case 0xea:
            stream_mode_ = true;
            reply(0xfa);
            break;
        case 0xeb:  // read data (remote mode)
            reply(0xfa);
            send_packet();
            break;
        case 0xec:
            wrap_ = false;
            reply(0xfa);
            break;
        case 0xee:
            wrap_ = true;
            reply(0xfa);
            break;
        case 0xf0:
            stream_mode_ = false;
            reply(0xfa);
            break;
        case 0xf2:  // get device ID
            reply(0xfa);
            reply(device_id_);
            break;
        case 0xf4:
            enabled_ = true;
            reply(0xfa);
            break;
        case 0xf5:
            enabled_ = false;
            reply(0xfa);
            break;
        case 0xf6:  // set defaults
            sample_rate_ = 100;
            resolution_ = 2;
            scaling_2to1_ = false;
            stream_mode_ = true;
            enabled_ = false;
            reply(0xfa);
            break;
        case 0xff:  // reset: ack, self-test passed, device ID
            reset();
            reply(0xfa);
            reply(0xaa);
            reply(0x00);
            break;
        default:
            MIMIC_LOG(log::kUnimp, "ps2 mouse: unsupported command {:#04x}\n", value);
            reply(0xfe);
            break;
    }
}

}  // namespace mimic::hw
