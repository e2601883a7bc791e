// The QKeyCode table.
#include "mimic/ui/qcode.h"

#include <iterator>

namespace mimic::ui {
namespace {

struct QcodeEntry {
    std::string_view name;
    unsigned number;
};

constexpr QcodeEntry kQcodes[] = {
#include "qcode_table.inc"
};

}  // namespace

int qcode_count() { return static_cast<int>(std::size(kQcodes)); }

std::optional<QKeyCode> qcode_from_name(std::string_view name) {
    for (int i = 0; i < qcode_count(); ++i) {
        if (kQcodes[i].name == name) return i;
    }
    return std::nullopt;
}

std::string_view qcode_name(QKeyCode code) {
    return code >= 0 && code < qcode_count() ? kQcodes[code].name : kQcodes[0].name;
}

unsigned qcode_to_number(QKeyCode code) {
    return code >= 0 && code < qcode_count() ? kQcodes[code].number : 0;
}

QKeyCode qcode_from_number(unsigned number) {
    if (number == 0) return kQKeyUnmapped;
    for (int i = 1; i < qcode_count(); ++i) {
        // The first of several names for one number wins (kp_multiply
        // before asterisk), as QEMU's reverse table has it.
        if (kQcodes[i].number == number && kQcodes[i].name != "asterisk") return i;
    }
    return kQKeyUnmapped;
}

}  // namespace mimic::ui
