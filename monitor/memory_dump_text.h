// The text of HMP's x and xp, produced in pieces: a dump of a large count
// (x /100000000x 0 is 1.5 GB of text) is never built as one string; each
// call to next() adds about a piece's worth of lines and remembers where
// the dump goes on.
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <string>

#include "disassembler.h"

namespace mimic::monitor {

class MonitorHub;

struct DumpRequest {
    int count = 1;
    char format = 'x';  // o d u x c s i
    int size = 4;       // unit in bytes
    uint64_t address = 0;
    bool physical = false;
};

class MemoryDumpText {
public:
    // Text added per call to next(), give or take one line.
    static constexpr size_t kPieceBytes = 64 * 1024;

    // `bits` is the code size x/i disassembles in. The hub's memory provider
    // is looked up for every piece: the VM may be going away between them.
    MemoryDumpText(MonitorHub& hub, int cpu, const DumpRequest& request, int bits);

    // Appends the next piece; false once the dump is complete (the last
    // piece may be empty).
    bool next(std::string& out);

private:
    bool read(uint64_t address, std::span<uint8_t> buffer) const;
    bool next_units(std::string& out);
    bool next_strings(std::string& out);
    bool next_instructions(std::string& out);

    MonitorHub& hub_;
    int cpu_;
    DumpRequest request_;
    uint64_t address_;
    int64_t remaining_;  // units, strings or instructions still to show
    std::unique_ptr<Disassembler> disassembler_;
};

}  // namespace mimic::monitor
