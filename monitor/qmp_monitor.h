// QMP: JSON requests in, JSON responses and events out.
#pragma once

#include "mimic/monitor/json_stream.h"
#include "mimic/monitor/monitor.h"

namespace mimic::monitor {

class QmpMonitor : public Monitor {
public:
    QmpMonitor(MonitorHub& hub, bool pretty, Output output, JsonStreamLimits limits = {});
    ~QmpMonitor() override;

    void open() override;
    void close() override;
    void receive(std::string_view bytes) override;
    void deliver_event(const Json& message) override;

    bool negotiated() const { return negotiated_; }
    bool oob_enabled() const { return oob_; }
    // qmp_capabilities calls this once the request is accepted.
    void complete_negotiation(bool oob) {
        negotiated_ = true;
        oob_ = oob;
    }

private:
    void handle(std::optional<Json> request, const std::string& parse_error);
    Json dispatch(const Json& request);
    void send(const Json& message);

    bool pretty_;
    bool negotiated_ = false;
    bool oob_ = false;
    JsonStreamParser parser_;
};

}  // namespace mimic::monitor
