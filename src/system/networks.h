// The VM's network as -netdev, -nic, -net and the defaults describe it: the
// back ends (net/), the hubs of legacy -net, and the NIC devices -nic and
// -net nic ask the board for.
#pragma once

#include <string>
#include <vector>

#include "mimic/cli/vm_config.h"
#include "mimic/qom/mac_address.h"

namespace mimic::hw {
class Machine;
}

namespace mimic::system {

class Networks {
public:
    Networks() = default;
    // Destroys every back end (after the machine and its NICs are gone).
    ~Networks();
    Networks(const Networks&) = delete;
    Networks& operator=(const Networks&) = delete;

    // The back ends, in QEMU's order (-netdev, then -nic, then -net), and
    // the NICs they ask for. With no network option and no -nodefaults,
    // the default `-net nic -net user` if the machine's NIC model exists.
    void create_backends(const cli::VmConfig& config, const std::string& machine_type);

    // The NICs of -nic and -net nic, created as the board's own (after
    // the board, before -device). Throws "Unsupported NIC model: x".
    void create_nics(hw::Machine& machine);

    // QEMU's start-up warnings ("netdev n0 has no peer", hub warnings).
    void print_warnings(bool qtest) const;

private:
    struct NicRequest {
        std::string location;
        std::string model;
        qom::MacAddress mac;
        std::string netdev;  // the back end or hub port to link to
        std::string addr;    // -net nic,addr=: the PCI slot, empty for the next free
    };
    void add_nic_option(const cli::OptionUse& use);
    void add_net_option(const cli::OptionUse& use);

    std::string default_model_;
    std::vector<NicRequest> nics_;
};

// The NIC models -nic/-net nic accept: registered device types with a
// netdev property, by name.
std::vector<std::string> nic_models();

}  // namespace mimic::system
