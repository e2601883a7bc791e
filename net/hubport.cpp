// -netdev hubport,id=ID,hubid=N[,netdev=ND]: a port of hub N, optionally
// peered at once with back end ND.
#include <array>

#include "backends.h"
#include "mimic/cli/opts.h"
#include "mimic/net/hub.h"
#include "mimic/qom/backend_registry.h"
#include "mimic/util/error.h"

namespace mimic::net {
namespace {

constexpr std::array kParams = {
    ParamDesc{"hubid", ParamType::kInt},
    ParamDesc{"netdev", ParamType::kString},
};

std::unique_ptr<NetClient> create(const std::string& name, const cli::Opts& opts) {
    auto hubid = opts.get("hubid");
    if (!hubid) throw Error("Parameter 'hubid' is missing");
    long long id = std::strtoll(hubid->c_str(), nullptr, 0);
    if (id < INT32_MIN || id > INT32_MAX) throw Error("Parameter 'hubid' expects int32_t");
    NetClient* peer = nullptr;
    if (auto netdev = opts.get("netdev")) {
        const std::any* handle = qom::BackendRegistry::instance().find(qom::BackendKind::kNetdev, *netdev);
        if (!handle) throw Error("netdev '{}' not found", *netdev);
        peer = std::any_cast<NetClient*>(*handle);
        if (peer->peer()) throw Error("Net client '{}' is already in use by '{}'", peer->name(), peer->peer()->name());
    }
    auto port = std::make_unique<HubPort>(Hub::get(static_cast<int>(id)), name);
    if (peer) NetClient::link(*port, *peer);
    return port;
}

}  // namespace

const BackendType kHubportBackend{"hubport", kParams, create};

}  // namespace mimic::net
