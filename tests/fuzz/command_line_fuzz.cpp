// libFuzzer target: argv vectors for mimic-system-x86_64, one word per line
// of the input (tests/fuzz/corpus/command_line).
//
// First in this process: the option parser (cli::parse_command_line). A
// vector it accepts then builds the machine (-S, so no guest runs): the
// machine configuration, back ends, devices, firmware loading and the
// teardown. That part touches the host (fuzzed options name files, sockets,
// network peers), so it runs in a confined, forked copy of this process
// (confined_process.h), one per input; its coverage counters are shared
// with this process (shared_coverage.h), so libFuzzer learns from it as from
// the parser. A child that dies by a signal or a sanitizer's report is a
// crash, reported here with abort() so libFuzzer keeps the input.
#include <sanitizer/common_interface_defs.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "confined_process.h"
#include "mimic/cli/command_line.h"
#include "mimic/system/vm.h"
#include "mimic/util/error.h"
#include "shared_coverage.h"

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

std::vector<const char*> argv_of(const std::vector<std::string>& words) {
    // Ours first, so the input's own -display or -machine options still win.
    std::vector<const char*> argv = {"mimic-system-x86_64", "-display", "none", "-S"};
    for (const std::string& word : words) argv.push_back(word.c_str());
    return argv;
}

// The machine's configuration, when the parser accepts the vector and it
// asks for a machine (not -version or -help).
std::optional<mimic::cli::VmConfig> parse(const std::vector<std::string>& words) {
    std::vector<const char*> argv = argv_of(words);
    static std::FILE* discard = std::fopen("/dev/null", "w");
    try {
        mimic::cli::ParseOutcome outcome =
            mimic::cli::parse_command_line(static_cast<int>(argv.size()), argv.data(), discard);
        if (outcome.exit_now || outcome.help) return std::nullopt;
        return std::move(outcome.config);
    } catch (const mimic::Error&) {
        return std::nullopt;
    }
}

// The child's exit status after a sanitizer's report. Its own: the
// sanitizers exit 1 by default, as the emulator does on a fatal error.
constexpr int kSanitizerReport = 86;
// The child could not be confined (confined_process.cpp).
constexpr int kNotConfined = 125;

// In the child: what main() does after parsing, with a few main-loop turns
// for run().
int build_machine(const mimic::cli::VmConfig& config) {
    __sanitizer_set_death_callback(+[] { _exit(kSanitizerReport); });
    try {
        auto vm = std::make_unique<mimic::system::Vm>(config);
        vm->start();
        for (int i = 0; i < 3 && vm->poll(); ++i) {
        }
    } catch (const mimic::Error&) {
        // Rejected with a message, as the binary would exit 1.
    }
    return 0;
}

void configure_machine(const std::vector<std::string>& words, const mimic::cli::VmConfig& config) {
    mimic::fuzz::ConfinedProcess child([&config] { return build_machine(config); });
    // Options that wait for a peer (server=on,wait=on) block start-up: not a bug.
    int status = child.finish(std::chrono::seconds(5));
    const int code = WIFEXITED(status) ? WEXITSTATUS(status) : 0;
    if (code == kNotConfined) {
        std::fprintf(stderr, "command_line_fuzz: the child could not be confined\n");
        std::exit(2);
    }
    // 0: built; 1: the emulator's own fatal error, with a message.
    if (!mimic::fuzz::is_crash(status) && code <= 1) return;
    std::fprintf(stderr, "command_line_fuzz: building the machine: %s, for:\n",
                 code == kSanitizerReport ? "a sanitizer's report" : mimic::fuzz::describe_status(status).c_str());
    for (const char* word : argv_of(words)) std::fprintf(stderr, "  %s\n", word);
    std::fprintf(stderr, "its stderr:\n%s\n", child.stderr_tail().c_str());
    std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
    mimic::fuzz::share_coverage_with_children();
    return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    std::vector<std::string> words = split_words({reinterpret_cast<const char*>(data), size});
    std::erase_if(words, unwanted);
    if (std::optional<mimic::cli::VmConfig> config = parse(words)) configure_machine(words, *config);
    return 0;
}
