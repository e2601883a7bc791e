// The 16550A UART through the real binary: loopback, FIFO, interrupts on the
// ISA IRQ, modem lines, and bytes both ways through a socket chardev and a
// file chardev.
#include <gtest/gtest.h>

#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

#include "qtest_client.h"

using mimic::test::QtestClient;

namespace {

constexpr uint16_t kCom1 = 0x3f8;
enum { kData = 0, kIer = 1, kIir = 2, kLcr = 3, kMcr = 4, kLsr = 5, kMsr = 6, kScr = 7 };

std::string temp_path(const std::string& name) {
    return (std::filesystem::path(testing::TempDir()) / name).string();
}

}  // namespace

TEST(Serial, ResetStateAndScratch) {
    QtestClient vm({"-device", "isa-serial"});
    EXPECT_EQ(vm.inb(kCom1 + kIir), 0x01);
    EXPECT_EQ(vm.inb(kCom1 + kLsr), 0x60);
    vm.outb(kCom1 + kScr, 0xa5);
    EXPECT_EQ(vm.inb(kCom1 + kScr), 0xa5);
    // Divisor latch behind DLAB.
    vm.outb(kCom1 + kLcr, 0x83);
    vm.outb(kCom1 + kData, 0x01);
    vm.outb(kCom1 + kIer, 0x00);
    EXPECT_EQ(vm.inb(kCom1 + kData), 0x01);
    vm.outb(kCom1 + kLcr, 0x03);
    EXPECT_EQ(vm.inb(kCom1 + kLcr), 0x03);
}

TEST(Serial, LoopbackEchoesBytesAndModemLines) {
    QtestClient vm({"-device", "isa-serial"});
    vm.outb(kCom1 + kMcr, 0x10);
    vm.inb(kCom1 + kMsr);
    vm.outb(kCom1 + kData, 'A');
    EXPECT_EQ(vm.inb(kCom1 + kLsr) & 0x01, 0x01);
    EXPECT_EQ(vm.inb(kCom1 + kData), 'A');
    EXPECT_EQ(vm.inb(kCom1 + kLsr) & 0x01, 0x00);
    // RTS->CTS, DTR->DSR, OUT1->RI, OUT2->DCD.
    vm.outb(kCom1 + kMcr, 0x1f);
    uint8_t msr = vm.inb(kCom1 + kMsr);
    EXPECT_EQ(msr & 0xf0, 0xf0);
    EXPECT_EQ(vm.inb(kCom1 + kMsr) & 0x0f, 0x00);  // deltas clear on read
    vm.outb(kCom1 + kMcr, 0x10);
    EXPECT_EQ(vm.inb(kCom1 + kMsr), 0x0f);  // all low; DCTS, DDSR, TERI, DDCD
}

TEST(Serial, FifoTriggerTimeoutAndOverrun) {
    QtestClient vm({"-device", "isa-serial"});
    vm.irq_intercept_in("pic");
    vm.outb(kCom1 + kMcr, 0x10);
    vm.outb(kCom1 + kIir, 0x47);  // FIFO on, cleared, trigger level 4
    vm.outb(kCom1 + kIer, 0x01);
    EXPECT_EQ(vm.inb(kCom1 + kIir), 0xc1);
    for (char c : std::string("abc")) vm.outb(kCom1 + kData, static_cast<uint8_t>(c));
    EXPECT_EQ(vm.inb(kCom1 + kIir), 0xc1);
    EXPECT_FALSE(vm.irq_level(4));
    vm.outb(kCom1 + kData, 'd');
    EXPECT_EQ(vm.inb(kCom1 + kIir), 0xc4);
    EXPECT_TRUE(vm.irq_level(4));
    vm.inb(kCom1 + kData);
    vm.inb(kCom1 + kData);
    EXPECT_EQ(vm.inb(kCom1 + kIir), 0xc1);  // below the trigger again
    vm.clock_step(100'000'000);             // four character times at 9600 baud
    EXPECT_EQ(vm.inb(kCom1 + kIir), 0xcc);
    EXPECT_TRUE(vm.irq_level(4));
    EXPECT_EQ(vm.inb(kCom1 + kData), 'c');
    EXPECT_EQ(vm.inb(kCom1 + kData), 'd');
    EXPECT_FALSE(vm.irq_level(4));
    for (int i = 0; i < 17; ++i) vm.outb(kCom1 + kData, static_cast<uint8_t>(i));
    EXPECT_EQ(vm.inb(kCom1 + kLsr) & 0x03, 0x03);  // data ready, overrun
    EXPECT_EQ(vm.inb(kCom1 + kLsr) & 0x02, 0x00);
}

TEST(Serial, ThreInterruptOnEnableAndAcknowledgedByIirRead) {
    QtestClient vm({"-device", "isa-serial,index=1"});
    vm.irq_intercept_in("pic");
    constexpr uint16_t kCom2 = 0x2f8;
    vm.outb(kCom2 + kIer, 0x02);
    EXPECT_TRUE(vm.irq_level(3));
    EXPECT_EQ(vm.inb(kCom2 + kIir), 0x02);
    EXPECT_FALSE(vm.irq_level(3));
    EXPECT_EQ(vm.inb(kCom2 + kIir), 0x01);
    vm.outb(kCom2 + kData, 'x');  // sent at once: THRE again
    EXPECT_TRUE(vm.irq_level(3));
}

TEST(Serial, FileChardevReceivesTransmittedBytes) {
    std::string out = temp_path("serial-file.out");
    std::filesystem::remove(out);
    QtestClient vm({"-serial", "file:" + out});
    for (char c : std::string("COM1\n")) vm.outb(kCom1, static_cast<uint8_t>(c));
    vm.quit();
    std::ifstream file(out);
    std::stringstream text;
    text << file.rdbuf();
    EXPECT_EQ(text.str(), "COM1\n");
}

TEST(Serial, SocketChardevCarriesBytesBothWays) {
    std::string path = temp_path("serial.sock");
    std::filesystem::remove(path);
    QtestClient vm({"-chardev", "socket,id=s0,path=" + path + ",server=on,wait=off", "-device",
                    "isa-serial,chardev=s0,index=3"});
    constexpr uint16_t kCom4 = 0x2e8;
    int fd = socket(AF_UNIX, SOCK_STREAM, 0);
    sockaddr_un address{};
    address.sun_family = AF_UNIX;
    std::snprintf(address.sun_path, sizeof address.sun_path, "%s", path.c_str());
    ASSERT_EQ(connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof address), 0);
    ASSERT_EQ(write(fd, "hi", 2), 2);
    vm.outb(kCom4 + kIir, 0x01);  // FIFO: room for both bytes
    std::string received;
    for (int i = 0; i < 2000 && received.size() < 2; ++i) {   // up to 10 s on a loaded machine
        if (vm.inb(kCom4 + kLsr) & 0x01) {
            received += static_cast<char>(vm.inb(kCom4 + kData));
        } else {
            std::this_thread::sleep_for(std::chrono::milliseconds(5));
        }
    }
    EXPECT_EQ(received, "hi");
    vm.outb(kCom4 + kData, 'o');
    vm.outb(kCom4 + kData, 'k');
    std::string sent;
    pollfd p{fd, POLLIN, 0};
    while (sent.size() < 2 && poll(&p, 1, 5000) == 1) {
        char buffer[8];
        ssize_t n = read(fd, buffer, sizeof buffer);
        if (n <= 0) break;
        sent.append(buffer, static_cast<size_t>(n));
    }
    EXPECT_EQ(sent, "ok");
    close(fd);
}

TEST(Serial, SerialOptionsPickThePorts) {
    {
        // No -serial and no -nographic: QEMU's default "vc" has no console.
        QtestClient vm({});
        EXPECT_EQ(vm.inb(kCom1 + kLsr), 0xff);
    }
    {
        // "none" skips COM1; the second -serial is COM2.
        QtestClient vm({"-serial", "none", "-serial", "null"});
        EXPECT_EQ(vm.inb(kCom1 + kLsr), 0xff);
        EXPECT_EQ(vm.inb(0x2f8 + kLsr), 0x60);
    }
}
