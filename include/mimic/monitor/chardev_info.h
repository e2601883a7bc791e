// query-chardev / info chardev from the chardev registry.
//
//   monitor::ChardevRegistryInfo chardev_info(chardev::ChardevRegistry::global());
//   hub.providers().chardev = &chardev_info;
#pragma once

#include "mimic/chardev/registry.h"
#include "mimic/monitor/providers.h"

namespace mimic::monitor {

class ChardevRegistryInfo : public ChardevProvider {
public:
    explicit ChardevRegistryInfo(chardev::ChardevRegistry& registry) : registry_(registry) {}

    std::vector<ChardevInfo> chardevs() const override {
        std::vector<ChardevInfo> result;
        for (const chardev::ChardevInfo& info : registry_.query()) {
            result.push_back({info.label, info.filename, info.frontend_open});
        }
        return result;
    }

private:
    chardev::ChardevRegistry& registry_;
};

}  // namespace mimic::monitor
