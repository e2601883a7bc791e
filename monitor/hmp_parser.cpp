#include "hmp_parser.h"

#include "mimic/monitor/monitor_hub.h"
#include "mimic/monitor/qmp_error.h"
#include "mimic/util/error.h"
#include "mimic/util/size.h"

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstdint>
#include <cstdlib>

namespace mimic::monitor {

namespace {

bool is_space(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; }

// Recursive descent stops here: each level costs a few host stack frames,
// and nothing a person types comes near it.
constexpr int kMaxExpressionDepth = 256;

// Recursive-descent evaluator with QEMU's precedence: + - bind loosest, then
// * / %, then & | ^ (tighter than multiplication, unlike C), then unary.
class ExpressionParser {
public:
    ExpressionParser(std::string_view text, HmpContext& context) : text_(text), context_(context) {}

    uint64_t parse() { return sum(); }
    size_t position() const { return pos_; }

private:
    char peek() {
        while (pos_ < text_.size() && is_space(text_[pos_])) ++pos_;
        return pos_ < text_.size() ? text_[pos_] : '\0';
    }

    uint64_t sum() {
        uint64_t value = product();
        for (;;) {
            char op = peek();
            if (op != '+' && op != '-') return value;
            ++pos_;
            uint64_t rhs = product();
            value = op == '+' ? value + rhs : value - rhs;
        }
    }

    uint64_t product() {
        uint64_t value = logic();
        for (;;) {
            size_t before = pos_;
            char op = peek();
            if (op != '*' && op != '/' && op != '%') return value;
            // "memsave 0 16 /tmp/dump": a '/' after a space that starts a
            // word is the next argument (a path), not a division.
            if (op == '/' && pos_ > 0 && is_space(text_[pos_ - 1]) && pos_ + 1 < text_.size() &&
                std::isalpha(static_cast<unsigned char>(text_[pos_ + 1]))) {
                pos_ = before;
                return value;
            }
            ++pos_;
            uint64_t rhs = logic();
            value = op == '*' ? value * rhs : divide(op, value, rhs);
        }
    }

    // Signed, as QEMU's int64_t arithmetic; the one quotient that does not
    // fit (and its remainder) traps on x86, so it is an error here.
    static uint64_t divide(char op, uint64_t dividend, uint64_t divisor) {
        auto a = static_cast<int64_t>(dividend), b = static_cast<int64_t>(divisor);
        if (b == 0) throw Error("division by zero");
        if (a == INT64_MIN && b == -1) throw Error("division overflow");
        return static_cast<uint64_t>(op == '/' ? a / b : a % b);
    }

    uint64_t logic() {
        uint64_t value = unary();
        for (;;) {
            char op = peek();
            if (op != '&' && op != '|' && op != '^') return value;
            ++pos_;
            uint64_t rhs = unary();
            value = op == '&' ? value & rhs : op == '|' ? value | rhs : value ^ rhs;
        }
    }

    // Every recursion goes through here: unary operators and parentheses.
    uint64_t unary() {
        if (depth_ >= kMaxExpressionDepth) throw Error("expression too deeply nested");
        ++depth_;
        uint64_t value = unary_operand();
        --depth_;
        return value;
    }

    uint64_t unary_operand() {
        char c = peek();
        switch (c) {
            case '+': ++pos_; return unary();
            case '-': ++pos_; return -unary();
            case '~': ++pos_; return ~unary();
            case '(': {
                ++pos_;
                uint64_t value = sum();
                if (peek() != ')') throw Error("')' expected");
                ++pos_;
                return value;
            }
            case '\'': {
                // A character constant: 'a'.
                if (pos_ + 2 >= text_.size() || text_[pos_ + 2] != '\'') throw Error("character constant expected");
                uint64_t value = static_cast<uint8_t>(text_[pos_ + 1]);
                pos_ += 3;
                return value;
            }
            case '$': return register_value();
            case '\0': throw Error("unexpected end of expression");
            default: break;
        }
        if (!std::isdigit(static_cast<unsigned char>(c))) throw Error("invalid char '{}' in expression", c);
        std::string digits;
        while (pos_ < text_.size() && std::isalnum(static_cast<unsigned char>(text_[pos_]))) digits += text_[pos_++];
        errno = 0;
        char* end;
        uint64_t value = std::strtoull(digits.c_str(), &end, 0);
        if (errno == ERANGE) throw Error("number too large");
        if (*end != '\0') throw Error("invalid char '{}' in expression", *end);
        return value;
    }

    uint64_t register_value() {
        ++pos_;  // '$'
        std::string name;
        while (pos_ < text_.size() &&
               (std::isalnum(static_cast<unsigned char>(text_[pos_])) || text_[pos_] == '_' || text_[pos_] == '.')) {
            name += static_cast<char>(std::tolower(static_cast<unsigned char>(text_[pos_++])));
        }
        CpuProvider* cpu = context_.hub.providers().cpu;
        if (!cpu) throw Error("no cpu defined");
        std::optional<uint64_t> value = cpu->read_register(context_.session.cpu, name);
        if (!value) throw Error("unknown register");
        return *value;
    }

    std::string_view text_;
    HmpContext& context_;
    size_t pos_ = 0;
    int depth_ = 0;
};

struct ParseFailure : Error {
    using Error::Error;
};

class LineParser {
public:
    LineParser(std::string_view text, HmpContext& context) : text_(text), context_(context) {}

    void skip_spaces() {
        while (pos_ < text_.size() && is_space(text_[pos_])) ++pos_;
    }
    bool at_end() {
        skip_spaces();
        return pos_ >= text_.size();
    }
    char peek() { return pos_ < text_.size() ? text_[pos_] : '\0'; }

    // The command name ends at a space or a '/' (x/4x).
    std::string command_name() {
        skip_spaces();
        size_t start = pos_;
        while (pos_ < text_.size() && text_[pos_] != '/' && !is_space(text_[pos_])) ++pos_;
        return std::string(text_.substr(start, pos_ - start));
    }

    // A bare word or a quoted string; nullopt at the end of the line.
    std::optional<std::string> word() {
        if (at_end()) return std::nullopt;
        std::string result;
        if (peek() == '"') {
            ++pos_;
            for (;;) {
                if (pos_ >= text_.size()) throw ParseFailure("unterminated string");
                char c = text_[pos_++];
                if (c == '"') break;
                if (c == '\\' && pos_ < text_.size()) {
                    char escaped = text_[pos_++];
                    switch (escaped) {
                        case 'n': c = '\n'; break;
                        case 'r': c = '\r'; break;
                        case 't': c = '\t'; break;
                        case '\\': case '\'': case '"': c = escaped; break;
                        default: throw ParseFailure("unsupported escape code: '\\{}'", escaped);
                    }
                }
                result += c;
            }
            if (pos_ < text_.size() && !is_space(text_[pos_])) throw ParseFailure("expected space after quoted string");
            return result;
        }
        while (pos_ < text_.size() && !is_space(text_[pos_])) result += text_[pos_++];
        return result;
    }

    std::string rest() {
        skip_spaces();
        std::string result(text_.substr(pos_));
        pos_ = text_.size();
        while (!result.empty() && is_space(result.back())) result.pop_back();
        return result;
    }

    uint64_t expression() {
        skip_spaces();
        size_t used = 0;
        uint64_t value = evaluate_hmp_expression(text_.substr(pos_), context_, &used);
        pos_ += used;
        return value;
    }

    // "/[count][format][size]"; without it the session's defaults apply.
    Json format() {
        skip_spaces();
        HmpSession& session = context_.session;
        int count = 1;
        char format = session.format;
        int size = format == 'i' ? -1 : session.unit_size;
        if (peek() != '/') return {{"count", count}, {"format", std::string(1, format)}, {"size", size}};
        ++pos_;
        if (std::isdigit(static_cast<unsigned char>(peek()))) {
            // QEMU's count is an int; a longer number stops at its largest.
            int64_t digits = 0;
            while (std::isdigit(static_cast<unsigned char>(peek())))
                digits = std::min<int64_t>(digits * 10 + (text_[pos_++] - '0'), INT32_MAX);
            count = static_cast<int>(digits);
        }
        int given_format = -1;
        size = -1;
        for (bool more = true; more;) {
            switch (peek()) {
                case 'o': case 'd': case 'u': case 'x': case 'i': case 'c': case 's':
                    given_format = text_[pos_++];
                    break;
                case 'b': size = 1; ++pos_; break;
                case 'h': size = 2; ++pos_; break;
                case 'w': size = 4; ++pos_; break;
                case 'g': case 'L': size = 8; ++pos_; break;
                default: more = false; break;
            }
        }
        if (peek() != '\0' && !is_space(peek())) throw ParseFailure("invalid char in format: '{}'", peek());
        format = given_format < 0 ? session.format : static_cast<char>(given_format);
        // Like QEMU, the last explicit format and unit size become the defaults;
        // 'i' without a size leaves the unit size alone.
        if (format != 'i') {
            if (size < 0) size = session.unit_size;
            session.unit_size = size;
        }
        session.format = format;
        return {{"count", count}, {"format", std::string(1, format)}, {"size", size}};
    }

private:
    std::string_view text_;
    HmpContext& context_;
    size_t pos_ = 0;
};

Json parse_arguments(LineParser& parser, const HmpCommandDef& def, const std::string& name) {
    Json args = Json::object();
    // Switches come first: "-f", "-n" ...
    for (const HmpArg& arg : def.args) {
        if (arg.kind == HmpArgKind::kFlag) args[arg.name] = false;
    }
    for (const HmpArg& arg : def.args) {
        switch (arg.kind) {
            case HmpArgKind::kFlag: {
                // Each declared switch may be given once, in any order,
                // before the positional arguments.
                parser.skip_spaces();
                if (parser.peek() != '-') break;
                std::optional<std::string> option = parser.word();
                bool found = false;
                for (const HmpArg& candidate : def.args) {
                    if (candidate.kind == HmpArgKind::kFlag && option->size() == 2 && (*option)[1] == candidate.flag) {
                        args[candidate.name] = true;
                        found = true;
                    }
                }
                if (!found) throw ParseFailure("{}: unsupported option {}", name, *option);
                break;
            }
            case HmpArgKind::kString: {
                std::optional<std::string> value = parser.word();
                if (!value) {
                    if (arg.optional) break;
                    throw ParseFailure("{}: string expected", name);
                }
                args[arg.name] = *value;
                break;
            }
            case HmpArgKind::kRestOfLine: {
                std::string value = parser.rest();
                if (value.empty()) {
                    if (arg.optional) break;
                    throw ParseFailure("{}: string expected", name);
                }
                args[arg.name] = value;
                break;
            }
            case HmpArgKind::kInteger:
                if (arg.optional && parser.at_end()) break;
                args[arg.name] = parser.expression();
                break;
            case HmpArgKind::kSize: {
                std::optional<std::string> value = parser.word();
                if (!value) {
                    if (arg.optional) break;
                    throw ParseFailure("{}: size expected", name);
                }
                std::optional<uint64_t> size = parse_size(*value);
                if (!size) throw ParseFailure("invalid size");
                args[arg.name] = *size;
                break;
            }
            case HmpArgKind::kBool: {
                std::optional<std::string> value = parser.word();
                if (!value) {
                    if (arg.optional) break;
                    throw ParseFailure("Expected 'on' or 'off'");
                }
                if (*value != "on" && *value != "off") throw ParseFailure("Expected 'on' or 'off'");
                args[arg.name] = *value == "on";
                break;
            }
            case HmpArgKind::kFormat:
                args[arg.name] = parser.format();
                break;
        }
    }
    if (!parser.at_end()) throw ParseFailure("{}: extraneous characters at the end of line", name);
    return args;
}

void run_command(const HmpCommandDef& def, const Json& args, HmpContext& context) {
    try {
        def.handler(args, context);
    } catch (const Error& e) {
        // QmpError and plain subsystem errors print alike.
        context.print("Error: {}\n", e.what());
    }
}

}  // namespace

uint64_t evaluate_hmp_expression(std::string_view text, HmpContext& context, size_t* end) {
    ExpressionParser parser(text, context);
    uint64_t value = parser.parse();
    if (end) *end = parser.position();
    return value;
}

void run_hmp_line(std::string_view line, HmpContext& context) {
    LineParser parser(line, context);
    std::string name = parser.command_name();
    if (name.empty()) return;
    const HmpTable& table = context.hub.hmp();
    const HmpCommandDef* def = table.find_command(name);
    std::string shown = name;  // what "Try help ..." names
    if (def && name == "info") {
        // `info` dispatches to its own table.
        std::string sub = parser.command_name();
        if (sub.empty()) {
            context.print_text(table.info_help_text());
            return;
        }
        def = table.find_info(sub);
        shown = "info " + sub;
        name = sub;
    }
    if (!def) {
        context.print("unknown command: '{}'\n", shown);
        return;
    }
    Json args;
    try {
        args = parse_arguments(parser, *def, name);
    } catch (const Error& e) {
        context.print("{}\n", e.what());
        context.print("Try \"help {}\" for more information\n", shown);
        return;
    }
    if (!def->handler) {
        context.print("Error: {} is not supported yet\n", shown);
        return;
    }
    run_command(*def, args, context);
}

}  // namespace mimic::monitor
