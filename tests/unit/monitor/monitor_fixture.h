// Shared test scaffolding: a hub over a RunControl, monitors writing into
// strings, and fake providers.
#pragma once

#include "mimic/monitor/monitor.h"
#include "mimic/monitor/monitor_hub.h"
#include "mimic/system/runstate.h"

#include <chrono>
#include <cstring>
#include <map>
#include <memory>
#include <string>
#include <vector>

namespace mimic::monitor::testing {

class MonitorTest {
public:
    MonitorTest() : hub(run) {
        // A fixed clock: 1234 s and 567 µs after the epoch.
        hub.set_clock([] { return std::chrono::system_clock::time_point(std::chrono::microseconds(1234000567)); });
    }

    system::RunControl run;
    MonitorHub hub;
};

// A QMP client: feeds requests, splits the monitor's output into messages.
class QmpClient {
public:
    QmpClient(MonitorHub& hub, bool pretty = false)
        : monitor(Monitor::create(hub, Monitor::Mode::kControl, pretty,
                                  [this](std::string_view bytes) { output.append(bytes); })) {}

    // Reads the greeting and negotiates.
    void connect() {
        monitor->open();
        take();
        send(R"({"execute": "qmp_capabilities"})");
        take();
    }
    void send(std::string_view text) { monitor->receive(text); }
    // Everything written since the last call, one JSON message per line.
    std::vector<Json> take() {
        std::vector<Json> messages;
        size_t start = 0;
        for (size_t end; (end = output.find("\r\n", start)) != std::string::npos; start = end + 2) {
            messages.push_back(Json::parse(output.substr(start, end - start)));
        }
        output.erase(0, start);
        return messages;
    }
    Json request(std::string_view text) {
        send(text);
        std::vector<Json> replies = take();
        return replies.size() == 1 ? replies[0] : Json(replies);
    }

    std::string output;
    std::unique_ptr<Monitor> monitor;
};

// Guest memory: a flat byte array at physical 0, mapped 1:1 virtually at
// 0xffff800000000000 as well.
class FakeMemory : public MemoryProvider {
public:
    std::vector<uint8_t> ram = std::vector<uint8_t>(0x2000);
    static constexpr uint64_t kVirtualBase = 0xffff800000000000ull;

    bool read_virtual(int, uint64_t address, std::span<uint8_t> buffer) const override {
        if (address < kVirtualBase) return false;
        return read_physical(address - kVirtualBase, buffer);
    }
    bool read_physical(uint64_t address, std::span<uint8_t> buffer) const override {
        if (address > ram.size() || buffer.size() > ram.size() - address) return false;
        std::memcpy(buffer.data(), ram.data() + address, buffer.size());
        return true;
    }
    std::string mtree_text(bool flatview) const override { return flatview ? "FlatView #0\n" : "address-space: memory\n"; }
};

class FakeCpu : public CpuProvider {
public:
    std::map<std::string, uint64_t> registers = {{"eax", 0x1234}, {"rip", 0xffff800000000100ull}, {"pc", 0x100}};
    std::vector<CpuDefinition> cpu_definitions() const override {
        return {{.name = "qemu64", .type_name = "qemu64-x86_64-cpu", .alias_of = "qemu64-v1",
                 .unavailable_features = {}, .migration_safe = true, .is_static = false, .deprecated = false}};
    }
    int cpu_count() const override { return 2; }
    Json query_cpus_fast() const override {
        return Json::array({{{"cpu-index", 0}, {"thread-id", 100}}, {{"cpu-index", 1}, {"thread-id", 101}}});
    }
    std::string registers_text(int cpu) const override { return "RAX=" + std::to_string(cpu) + "\n"; }
    std::optional<uint64_t> read_register(int, const std::string& name) const override {
        auto it = registers.find(name);
        if (it == registers.end()) return std::nullopt;
        return it->second;
    }
    int code_bits(int) const override { return 64; }
};

}  // namespace mimic::monitor::testing
