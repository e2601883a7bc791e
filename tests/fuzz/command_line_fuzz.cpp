// libFuzzer target: argv vectors for mimic-system-x86_64, one word per line
// of the input (tests/fuzz/corpus/command_line).
//
// First in this process, under ASan and UBSan with coverage: the option
// parser (cli::parse_command_line). A vector it accepts then goes to the
// emulator binary (MIMIC_SYSTEM, when set), which builds the machine from it
// and is told to quit over QMP before the guest runs (-S): the machine
// configuration, back ends, devices and firmware loading. That runs in a
// confined child (confined_process.h: fuzzed options name host files and
// network peers); a child killed by a signal is a crash, reported with
// abort() so libFuzzer keeps the input.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

#include "confined_process.h"
#include "mimic/cli/command_line.h"
#include "mimic/util/error.h"

namespace {

constexpr size_t kMaxWords = 64;

std::vector<std::string> split_words(std::string_view text) {
    std::vector<std::string> words;
    while (!text.empty() && words.size() < kMaxWords) {
        size_t end = text.find('\n');
        words.emplace_back(text.substr(0, end));
        if (end == std::string_view::npos) break;
        text.remove_prefix(end + 1);
    }
    return words;
}

// Options that would leave a process behind or wait forever for a person
// are dropped: they are not what this target is after.
bool unwanted(const std::string& word) { return word == "-daemonize" || word == "--daemonize"; }

bool parses(const std::vector<std::string>& words) {
    std::vector<const char*> argv = {"mimic-system-x86_64"};
    for (const std::string& word : words) argv.push_back(word.c_str());
    static std::FILE* discard = std::fopen("/dev/null", "w");
    try {
        mimic::cli::ParseOutcome outcome =
            mimic::cli::parse_command_line(static_cast<int>(argv.size()), argv.data(), discard);
        return !outcome.exit_now && !outcome.help;
    } catch (const mimic::Error&) {
        return false;
    }
}

void configure_machine(const char* binary, const std::vector<std::string>& words) {
    // Ours first, so the input's own -display or -machine options still win.
    std::vector<std::string> argv = {binary, "-display", "none", "-S", "-qmp", "stdio"};
    argv.insert(argv.end(), words.begin(), words.end());
    mimic::fuzz::ConfinedProcess emulator(argv);
    emulator.send("{\"execute\": \"qmp_capabilities\"}\n{\"execute\": \"quit\"}\n");
    // Options that wait for a peer (server=on,wait=on) block start-up: not a bug.
    int status = emulator.finish(std::chrono::seconds(5));
    if (!mimic::fuzz::is_crash(status)) return;
    std::fprintf(stderr, "command_line_fuzz: the emulator %s configuring:\n",
                 mimic::fuzz::describe_status(status).c_str());
    for (const std::string& word : argv) std::fprintf(stderr, "  %s\n", word.c_str());
    std::fprintf(stderr, "its stderr:\n%s\n", emulator.stderr_tail().c_str());
    std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    std::vector<std::string> words = split_words({reinterpret_cast<const char*>(data), size});
    std::erase_if(words, unwanted);
    if (!parses(words)) return 0;
    if (const char* binary = std::getenv("MIMIC_SYSTEM")) configure_machine(binary, words);
    return 0;
}
