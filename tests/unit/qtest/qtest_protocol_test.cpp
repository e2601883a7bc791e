#include "mimic/qtest/qtest_protocol.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <vector>

#include "mimic/util/error.h"

using mimic::qtest::QtestBackend;
using mimic::qtest::QtestSession;

namespace {

// A machine with 64 KiB of RAM, a few I/O ports that remember their value,
// and a clock: enough to check the protocol's words and formats.
class FakeMachine : public QtestBackend {
public:
    std::vector<uint8_t> ram = std::vector<uint8_t>(65536);
    std::map<uint16_t, uint32_t> ports;
    std::vector<std::pair<uint16_t, unsigned>> port_sizes;
    int64_t now = 0;

    uint32_t port_read(uint16_t port, unsigned size) override {
        port_sizes.emplace_back(port, size);
        return ports.count(port) ? ports[port] : (size == 1 ? 0xff : size == 2 ? 0xffff : ~0u);
    }
    void port_write(uint16_t port, uint32_t value, unsigned size) override {
        port_sizes.emplace_back(port, size);
        ports[port] = value;
    }
    void memory_read(uint64_t addr, void* buffer, uint64_t length) override {
        if (addr + length > ram.size()) throw mimic::Error("address out of range");
        std::memcpy(buffer, ram.data() + addr, length);
    }
    void memory_write(uint64_t addr, const void* buffer, uint64_t length) override {
        if (addr + length > ram.size()) throw mimic::Error("address out of range");
        std::memcpy(ram.data() + addr, buffer, length);
    }
    int64_t clock_step(std::optional<int64_t> ns) override { return now += ns.value_or(1000); }
    int64_t clock_set(int64_t ns) override { return now = std::max(now, ns); }
    void irq_intercept(const std::string& path, bool) override {
        if (path != "/machine/test") throw mimic::Error("No device at '{}'", path);
    }
    void set_irq_in(const std::string&, const std::string&, int, int) override {}
};

class QtestProtocol : public testing::Test {
protected:
    FakeMachine machine;
    std::string sent;
    QtestSession session{machine, [this](std::string_view text) { sent += text; }};
};

}  // namespace

TEST_F(QtestProtocol, PortIo) {
    EXPECT_EQ(session.execute("outb 0x70 0x0a"), "OK");
    EXPECT_EQ(session.execute("inb 0x70"), "OK 0x000a");
    EXPECT_EQ(session.execute("outw 0x1ce 0x1234"), "OK");
    EXPECT_EQ(session.execute("inw 0x1ce"), "OK 0x1234");
    EXPECT_EQ(session.execute("outl 0xcf8 0x80000000"), "OK");
    EXPECT_EQ(session.execute("inl 0xcf8"), "OK 0x80000000");
    EXPECT_EQ(session.execute("inl 0xcfc"), "OK 0xffffffff");
    EXPECT_EQ(machine.port_sizes[0], (std::pair<uint16_t, unsigned>{0x70, 1}));
    EXPECT_EQ(machine.port_sizes[2], (std::pair<uint16_t, unsigned>{0x1ce, 2}));
    EXPECT_EQ(machine.port_sizes[4], (std::pair<uint16_t, unsigned>{0xcf8, 4}));
}

TEST_F(QtestProtocol, SizedMemoryAccessIsLittleEndian) {
    EXPECT_EQ(session.execute("writel 0x100 0x11223344"), "OK");
    EXPECT_EQ(machine.ram[0x100], 0x44);
    EXPECT_EQ(machine.ram[0x103], 0x11);
    EXPECT_EQ(session.execute("readl 0x100"), "OK 0x0000000011223344");
    EXPECT_EQ(session.execute("readb 0x101"), "OK 0x0000000000000033");
    EXPECT_EQ(session.execute("writeq 0x200 0x0102030405060708"), "OK");
    EXPECT_EQ(session.execute("readq 0x200"), "OK 0x0102030405060708");
    EXPECT_EQ(session.execute("writew 0x300 0xbeef"), "OK");
    EXPECT_EQ(session.execute("readw 0x300"), "OK 0x000000000000beef");
}

TEST_F(QtestProtocol, BulkReadWrite) {
    EXPECT_EQ(session.execute("write 0x10 4 0xdeadbeef"), "OK");
    EXPECT_EQ(session.execute("read 0x10 4"), "OK 0xdeadbeef");
    // Missing data bytes are written as zero.
    EXPECT_EQ(session.execute("write 0x20 3 0xff"), "OK");
    EXPECT_EQ(session.execute("read 0x20 3"), "OK 0xff0000");
    EXPECT_EQ(session.execute("memset 0x30 2 0x5a"), "OK");
    EXPECT_EQ(session.execute("read 0x30 2"), "OK 0x5a5a");
    // Larger than the page it fills from: every byte, none past the end.
    EXPECT_EQ(session.execute("memset 0x1000 10000 0xa5"), "OK");
    EXPECT_EQ(std::count(machine.ram.begin(), machine.ram.end(), 0xa5), 10000);
    EXPECT_EQ(machine.ram[0x1000 + 9999], 0xa5);
    EXPECT_EQ(session.execute("b64write 0x40 3 AQID"), "OK");
    EXPECT_EQ(session.execute("b64read 0x40 3"), "OK AQID");
}

TEST_F(QtestProtocol, Clock) {
    EXPECT_EQ(session.execute("clock_step 100"), "OK 100");
    EXPECT_EQ(session.execute("clock_step"), "OK 1100");
    EXPECT_EQ(session.execute("clock_set 5000"), "OK 5000");
    EXPECT_EQ(session.execute("clock_step -1"), "FAIL cannot step the clock backwards");
}

TEST_F(QtestProtocol, IrqInterceptAndEvents) {
    session.irq_changed(4, true);  // not intercepted yet: nothing sent
    EXPECT_EQ(sent, "");
    EXPECT_EQ(session.execute("irq_intercept_in /machine/nothing"),
              "FAIL No device at '/machine/nothing'");
    EXPECT_EQ(session.execute("irq_intercept_in /machine/test"), "OK");
    session.irq_changed(4, true);
    session.irq_changed(4, false);
    EXPECT_EQ(sent, "IRQ raise 4\nIRQ lower 4\n");
}

TEST_F(QtestProtocol, LinesAreSplitFromAStream) {
    session.receive("outb 0x80 1\ninb 0x");
    EXPECT_EQ(sent, "OK\n");
    session.receive("80\r\n");
    EXPECT_EQ(sent, "OK\nOK 0x0001\n");
}

TEST_F(QtestProtocol, BadRequestsFailWithoutHarm) {
    EXPECT_EQ(session.execute(""), "FAIL empty command");
    EXPECT_EQ(session.execute("bogus 1 2"), "FAIL Unknown command 'bogus'");
    EXPECT_EQ(session.execute("outb 0x70"), "FAIL 'outb' takes 2 arguments");
    EXPECT_EQ(session.execute("outb 0x10000 1"), "FAIL port 0x10000 out of range");
    EXPECT_EQ(session.execute("inb zz"), "FAIL invalid port 'zz'");
    EXPECT_EQ(session.execute("read 0x0 99999999999"),
              "FAIL size 99999999999 exceeds the 67108864 byte limit");
    EXPECT_EQ(session.execute("readl 0xfffff"), "FAIL address out of range");
    EXPECT_EQ(session.execute("write 0 4 deadbeef"), "FAIL data must start with 0x");
    EXPECT_EQ(session.execute("endianness"), "OK little");
}
