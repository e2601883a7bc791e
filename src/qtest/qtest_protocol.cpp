#include "mimic/qtest/qtest_protocol.h"

#include <glib.h>

#include <algorithm>
#include <array>
#include <vector>

#include <fmt/format.h>

#include "mimic/util/error.h"
#include "mimic/util/size.h"

namespace mimic::qtest {
namespace {

std::vector<std::string> split_words(std::string_view line) {
    std::vector<std::string> words;
    size_t pos = 0;
    while (pos < line.size()) {
        while (pos < line.size() && (line[pos] == ' ' || line[pos] == '\t' || line[pos] == '\r'))
            ++pos;
        size_t start = pos;
        while (pos < line.size() && line[pos] != ' ' && line[pos] != '\t' && line[pos] != '\r')
            ++pos;
        if (pos > start) words.emplace_back(line.substr(start, pos - start));
    }
    return words;
}

uint64_t number(const std::string& word, const char* what) {
    auto value = parse_uint(word);
    if (!value) throw Error("invalid {} '{}'", what, word);
    return *value;
}

int64_t signed_number(const std::string& word, const char* what) {
    auto value = parse_int(word);
    if (!value) throw Error("invalid {} '{}'", what, word);
    return *value;
}

void expect_args(const std::vector<std::string>& words, size_t count) {
    if (words.size() != count + 1)
        throw Error("'{}' takes {} argument{}", words[0], count, count == 1 ? "" : "s");
}

// Guards against a test asking for absurd buffers; tests move kilobytes.
constexpr uint64_t kMaxTransfer = 64ull << 20;

uint64_t transfer_size(const std::string& word) {
    uint64_t size = number(word, "size");
    if (size > kMaxTransfer) throw Error("size {} exceeds the {} byte limit", size, kMaxTransfer);
    return size;
}

unsigned access_size(char suffix) {
    switch (suffix) {
        case 'b': return 1;
        case 'w': return 2;
        case 'l': return 4;
        case 'q': return 8;
        default: return 0;
    }
}

}  // namespace

void QtestSession::receive(std::string_view bytes) {
    pending_.append(bytes);
    size_t newline;
    while ((newline = pending_.find('\n')) != std::string::npos) {
        std::string line = pending_.substr(0, newline);
        pending_.erase(0, newline + 1);
        if (log_) log_(fmt::format("[R] {}", line));
        std::string answer = execute(line);
        if (log_) log_(fmt::format("[S] {}", answer));
        send_(answer + "\n");
    }
}

void QtestSession::irq_changed(int line, bool level) {
    if (!intercepted_) return;
    std::string message = fmt::format("IRQ {} {}", level ? "raise" : "lower", line);
    if (log_) log_(fmt::format("[S] {}", message));
    send_(message + "\n");
}

std::string QtestSession::execute(std::string_view line) {
    std::vector<std::string> words = split_words(line);
    if (words.empty()) return "FAIL empty command";
    const std::string& command = words[0];
    try {
        // outb/outw/outl ADDR VALUE
        if (command.size() == 4 && command.starts_with("out") && access_size(command[3]) &&
            command[3] != 'q') {
            expect_args(words, 2);
            uint64_t port = number(words[1], "port");
            if (port > 0xffff) throw Error("port {} out of range", words[1]);
            backend_.port_write(static_cast<uint16_t>(port),
                                static_cast<uint32_t>(number(words[2], "value")),
                                access_size(command[3]));
            return "OK";
        }
        // inb/inw/inl ADDR
        if (command.size() == 3 && command.starts_with("in") && access_size(command[2]) &&
            command[2] != 'q') {
            expect_args(words, 1);
            uint64_t port = number(words[1], "port");
            if (port > 0xffff) throw Error("port {} out of range", words[1]);
            uint32_t value = backend_.port_read(static_cast<uint16_t>(port), access_size(command[2]));
            return fmt::format("OK 0x{:04x}", value);
        }
        // writeb..writeq ADDR VALUE (little-endian guest)
        if (command.size() == 6 && command.starts_with("write") && access_size(command[5])) {
            expect_args(words, 2);
            unsigned size = access_size(command[5]);
            uint64_t value = number(words[2], "value");
            uint8_t bytes[8];
            for (unsigned i = 0; i < size; ++i) bytes[i] = static_cast<uint8_t>(value >> (8 * i));
            backend_.memory_write(number(words[1], "address"), bytes, size);
            return "OK";
        }
        // readb..readq ADDR
        if (command.size() == 5 && command.starts_with("read") && access_size(command[4])) {
            expect_args(words, 1);
            unsigned size = access_size(command[4]);
            uint8_t bytes[8] = {};
            backend_.memory_read(number(words[1], "address"), bytes, size);
            uint64_t value = 0;
            for (unsigned i = 0; i < size; ++i) value |= uint64_t{bytes[i]} << (8 * i);
            return fmt::format("OK 0x{:016x}", value);
        }
        // read ADDR SIZE -> OK 0xHEXBYTES
        if (command == "read") {
            expect_args(words, 2);
            std::vector<uint8_t> data(transfer_size(words[2]));
            backend_.memory_read(number(words[1], "address"), data.data(), data.size());
            std::string answer = "OK 0x";
            for (uint8_t byte : data) answer += fmt::format("{:02x}", byte);
            return answer;
        }
        // write ADDR SIZE 0xHEXBYTES (missing bytes are zero, as QEMU)
        if (command == "write") {
            expect_args(words, 3);
            std::vector<uint8_t> data(transfer_size(words[2]));
            const std::string& hex = words[3];
            if (!hex.starts_with("0x")) throw Error("data must start with 0x");
            for (size_t i = 0; i < data.size() && 2 + 2 * i + 2 <= hex.size(); ++i) {
                auto byte = parse_uint("0x" + hex.substr(2 + 2 * i, 2));
                if (!byte) throw Error("invalid hex data");
                data[i] = static_cast<uint8_t>(*byte);
            }
            backend_.memory_write(number(words[1], "address"), data.data(), data.size());
            return "OK";
        }
        // memset ADDR SIZE VALUE
        if (command == "memset") {
            expect_args(words, 3);
            uint64_t address = number(words[1], "address");
            uint64_t size = transfer_size(words[2]);
            // A page at a time: filling RAM needs no buffer of its size.
            std::array<uint8_t, 4096> page;
            page.fill(static_cast<uint8_t>(number(words[3], "value")));
            for (uint64_t done = 0; done < size; done += page.size())
                backend_.memory_write(address + done, page.data(), std::min<uint64_t>(page.size(), size - done));
            return "OK";
        }
        if (command == "b64read") {
            expect_args(words, 2);
            std::vector<uint8_t> data(transfer_size(words[2]));
            backend_.memory_read(number(words[1], "address"), data.data(), data.size());
            gchar* encoded = g_base64_encode(data.data(), data.size());
            std::string answer = std::string("OK ") + encoded;
            g_free(encoded);
            return answer;
        }
        if (command == "b64write") {
            expect_args(words, 3);
            uint64_t size = transfer_size(words[2]);
            gsize decoded_size = 0;
            guchar* decoded = g_base64_decode(words[3].c_str(), &decoded_size);
            std::vector<uint8_t> data(size);
            std::copy_n(decoded, std::min<uint64_t>(size, decoded_size), data.begin());
            g_free(decoded);
            backend_.memory_write(number(words[1], "address"), data.data(), data.size());
            return "OK";
        }
        if (command == "clock_step") {
            if (words.size() > 2) throw Error("'clock_step' takes at most 1 argument");
            std::optional<int64_t> ns;
            if (words.size() == 2) {
                ns = signed_number(words[1], "time");
                if (*ns < 0) throw Error("cannot step the clock backwards");
            }
            return fmt::format("OK {}", backend_.clock_step(ns));
        }
        if (command == "clock_set") {
            expect_args(words, 1);
            return fmt::format("OK {}", backend_.clock_set(signed_number(words[1], "time")));
        }
        if (command == "irq_intercept_in" || command == "irq_intercept_out") {
            expect_args(words, 1);
            backend_.irq_intercept(words[1], command == "irq_intercept_in");
            intercepted_ = true;
            return "OK";
        }
        if (command == "set_irq_in") {
            expect_args(words, 4);
            backend_.set_irq_in(words[1], words[2],
                                static_cast<int>(signed_number(words[3], "line")),
                                static_cast<int>(signed_number(words[4], "level")));
            return "OK";
        }
        if (command == "endianness") return "OK little";
        return fmt::format("FAIL Unknown command '{}'", command);
    } catch (const Error& e) {
        return fmt::format("FAIL {}", e.what());
    }
}

}  // namespace mimic::qtest
