// Helpers shared by the memory tests: capturing guest-error logs and a fake
// device that records the callback accesses it sees.
#pragma once

#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdio>
#include <string>
#include <vector>

#include "mimic/memory/mmio_ops.h"
#include "mimic/util/log.h"

namespace mimic::memory::test {

// Sends kGuestErrors to a temporary file for the lifetime of the object.
// The name carries the pid: ctest runs test cases as parallel processes.
class LogCapture {
  public:
    LogCapture() : path_(testing::TempDir() + "/mimic-memory-log-" + std::to_string(getpid()) + ".txt") {
        log::set_file(path_);
        log::set_mask(log::kGuestErrors);
    }
    ~LogCapture() {
        log::set_mask(0);
        log::set_file("");
        std::remove(path_.c_str());
    }
    std::string text() const {
        std::fflush(log::stream());
        std::string result;
        if (std::FILE* f = std::fopen(path_.c_str(), "r")) {
            char buffer[4096];
            size_t n;
            while ((n = std::fread(buffer, 1, sizeof buffer, f)) > 0) result.append(buffer, n);
            std::fclose(f);
        }
        return result;
    }

  private:
    std::string path_;
};

struct Access {
    bool is_write;
    uint64_t offset;
    uint64_t value;
    unsigned size;
    bool operator==(const Access&) const = default;
};

inline std::ostream& operator<<(std::ostream& os, const Access& a) {
    return os << (a.is_write ? "W" : "R") << "(0x" << std::hex << a.offset << ", 0x" << a.value
              << ", " << std::dec << a.size << ")";
}

// A device whose registers are a byte array, recording every callback.
struct FakeDevice {
    std::vector<uint8_t> regs;
    std::vector<Access> log;

    explicit FakeDevice(size_t size) : regs(size) {
        for (size_t i = 0; i < size; ++i) regs[i] = static_cast<uint8_t>(0x10 + i);
    }

    MmioOps ops(AccessSizes valid = {1, 8, false}, AccessSizes impl = {1, 4, false}) {
        MmioOps ops;
        ops.valid = valid;
        ops.impl = impl;
        ops.read = [this](uint64_t offset, unsigned size) {
            uint64_t value = 0;
            for (unsigned i = 0; i < size; ++i) value |= uint64_t{regs.at(offset + i)} << (8 * i);
            log.push_back({false, offset, value, size});
            return value;
        };
        ops.write = [this](uint64_t offset, uint64_t value, unsigned size) {
            for (unsigned i = 0; i < size; ++i)
                regs.at(offset + i) = static_cast<uint8_t>(value >> (8 * i));
            log.push_back({true, offset, value, size});
        };
        return ops;
    }
};

}  // namespace mimic::memory::test
