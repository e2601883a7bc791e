// What other devices see of the 8254 PIT ("isa-pit"): the gate inputs and the
// OUT pins. Port 61h (pcspk) drives gate 2 and reads OUT2; the HPET's legacy
// mode would stop channel 0.
#pragma once

namespace mimic::hw {

inline constexpr const char* kTypeIsaPit = "isa-pit";

class PitChannels {
public:
    virtual ~PitChannels() = default;
    virtual void set_gate(int channel, bool level) = 0;
    virtual bool gate(int channel) const = 0;
    virtual bool output(int channel) const = 0;
};

}  // namespace mimic::hw
