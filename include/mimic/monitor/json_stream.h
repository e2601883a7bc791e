// Splits a byte stream into JSON values the way QEMU's QMP input does.
//
// QMP clients write requests back to back with no framing, may pipeline
// several in one write, and the transport may split one anywhere. The parser
// lexes bytes incrementally, counts braces and brackets, and parses a value as
// soon as its last token arrives. Errors are reported (with QEMU's texts, all
// starting "JSON parse error, ..." or "JSON ... limit exceeded") and parsing
// carries on with the following bytes, so one bad request does not end the
// session. After a lexical error the lexer skips to the next structural
// character or control byte, as QEMU's does, so clients can resynchronize by
// sending a newline or 0xFF.
#pragma once

#include "mimic/monitor/json.h"

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace mimic::monitor {

struct JsonStreamLimits {
    // QEMU's json-streamer limits: bytes of all tokens of one value, number of
    // tokens of one value, and nesting depth of arrays plus objects.
    uint64_t max_token_bytes = 64ull << 20;
    uint64_t max_tokens = 2ull << 20;
    int max_nesting = 1024;
};

class JsonStreamParser {
public:
    // Exactly one of `value` and `error` is set.
    using Handler = std::function<void(std::optional<Json> value, std::string error)>;

    explicit JsonStreamParser(Handler handler, JsonStreamLimits limits = {});

    void feed(std::string_view bytes);
    // End of input: completes a pending top-level scalar, drops partial values.
    void flush();
    // Drops anything partial (a new client on the same chardev starts clean).
    void reset();

    enum class TokenType : uint8_t {
        kLeftBrace, kRightBrace, kLeftBracket, kRightBracket, kColon, kComma,
        kString, kInteger, kFloat, kKeyword,
    };
    struct Token {
        TokenType type;
        std::string text;  // raw source text; strings keep their quotes
    };

private:
    enum class LexState : uint8_t {
        kStart, kString, kStringEscape, kStringUnicode, kNumber, kKeyword, kRecovery,
    };

    void feed_char(char c);
    // A complete token left the lexer.
    void token(TokenType type, std::string text);
    void lex_error();
    void emit_value();
    void emit_error(const std::string& message);
    bool number_char_ok(char c) const;

    Handler handler_;
    JsonStreamLimits limits_;
    LexState state_ = LexState::kStart;
    std::string current_;     // text of the token being lexed
    char quote_ = '"';
    int unicode_digits_ = 0;
    std::vector<Token> tokens_;
    uint64_t token_bytes_ = 0;
    int braces_ = 0;
    int brackets_ = 0;
};

}  // namespace mimic::monitor
