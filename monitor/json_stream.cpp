#include "mimic/monitor/json_stream.h"

#include <fmt/format.h>

#include <cerrno>
#include <cstdlib>
#include <stdexcept>

namespace mimic::monitor {

namespace {

bool is_space(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; }
bool is_digit(char c) { return c >= '0' && c <= '9'; }
bool is_hex(char c) { return is_digit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F'); }
bool is_structural(char c) {
    return c == '{' || c == '}' || c == '[' || c == ']' || c == ':' || c == ',';
}

// Thrown inside the recursive-descent parser; caught in emit_value().
struct ParseError : std::runtime_error {
    using std::runtime_error::runtime_error;
};

// Turns the token list of one complete value into a Json.
class TokenParser {
public:
    using Token = JsonStreamParser::Token;
    using TokenType = JsonStreamParser::TokenType;

    explicit TokenParser(const std::vector<Token>& tokens) : tokens_(tokens) {}

    Json parse() { return parse_value(); }

private:
    const Token* peek() const { return pos_ < tokens_.size() ? &tokens_[pos_] : nullptr; }
    const Token& next(const char* what_if_missing = "premature EOI") {
        if (pos_ >= tokens_.size()) throw ParseError(what_if_missing);
        return tokens_[pos_++];
    }

    Json parse_value() {
        const Token* token = peek();
        if (!token) throw ParseError("premature EOI");
        switch (token->type) {
            case TokenType::kLeftBrace: return parse_object();
            case TokenType::kLeftBracket: return parse_array();
            case TokenType::kString: ++pos_; return decode_string(token->text);
            case TokenType::kInteger: ++pos_; return parse_integer(token->text);
            case TokenType::kFloat: ++pos_; return std::strtod(token->text.c_str(), nullptr);
            case TokenType::kKeyword:
                ++pos_;
                if (token->text == "true") return true;
                if (token->text == "false") return false;
                if (token->text == "null") return nullptr;
                throw ParseError(fmt::format("invalid keyword '{}'", token->text));
            default: throw ParseError("expecting value");
        }
    }

    Json parse_object() {
        ++pos_;  // '{'
        Json object = Json::object();
        if (peek() && peek()->type == TokenType::kRightBrace) {
            ++pos_;
            return object;
        }
        for (;;) {
            const Token* key_token = peek();
            if (!key_token) throw ParseError("premature EOI");
            if (key_token->type != TokenType::kString) throw ParseError("key is not a string in object");
            ++pos_;
            std::string key = decode_string(key_token->text);
            if (next().type != TokenType::kColon) throw ParseError("missing : in object pair");
            Json value = parse_value();
            if (object.contains(key)) throw ParseError("duplicate key");
            object[key] = std::move(value);
            const Token& separator = next();
            if (separator.type == TokenType::kRightBrace) return object;
            if (separator.type != TokenType::kComma) throw ParseError("expected separator in dict");
        }
    }

    Json parse_array() {
        ++pos_;  // '['
        Json array = Json::array();
        if (peek() && peek()->type == TokenType::kRightBracket) {
            ++pos_;
            return array;
        }
        for (;;) {
            array.push_back(parse_value());
            const Token& separator = next();
            if (separator.type == TokenType::kRightBracket) return array;
            if (separator.type != TokenType::kComma) throw ParseError("expected separator in list");
        }
    }

    static Json parse_integer(const std::string& text) {
        // Like QEMU: int64 when it fits, else uint64, else a double.
        errno = 0;
        char* end;
        long long value = std::strtoll(text.c_str(), &end, 10);
        if (errno == 0) return static_cast<int64_t>(value);
        if (text[0] != '-') {
            errno = 0;
            unsigned long long unsigned_value = std::strtoull(text.c_str(), &end, 10);
            if (errno == 0) return static_cast<uint64_t>(unsigned_value);
        }
        return std::strtod(text.c_str(), nullptr);
    }

    static void append_utf8(std::string& out, uint32_t cp) {
        if (cp < 0x80) {
            out += static_cast<char>(cp);
        } else if (cp < 0x800) {
            out += static_cast<char>(0xC0 | (cp >> 6));
            out += static_cast<char>(0x80 | (cp & 0x3F));
        } else if (cp < 0x10000) {
            out += static_cast<char>(0xE0 | (cp >> 12));
            out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
            out += static_cast<char>(0x80 | (cp & 0x3F));
        } else {
            out += static_cast<char>(0xF0 | (cp >> 18));
            out += static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
            out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
            out += static_cast<char>(0x80 | (cp & 0x3F));
        }
    }

    static uint32_t hex4(const std::string& text, size_t pos) {
        return static_cast<uint32_t>(std::strtoul(text.substr(pos, 4).c_str(), nullptr, 16));
    }

    // The lexer already checked the escape syntax; this resolves escapes,
    // pairs surrogates and validates the raw UTF-8.
    static std::string decode_string(const std::string& text) {
        std::string out;
        size_t end = text.size() - 1;  // closing quote
        for (size_t pos = 1; pos < end;) {
            char c = text[pos];
            if (c != '\\') {
                auto byte = static_cast<uint8_t>(c);
                size_t length = byte < 0x80 ? 1 : (byte & 0xE0) == 0xC0 ? 2 : (byte & 0xF0) == 0xE0 ? 3
                                : (byte & 0xF8) == 0xF0 ? 4 : 0;
                if (length == 0 || pos + length > end) throw ParseError("invalid UTF-8 sequence in string");
                for (size_t i = 1; i < length; ++i) {
                    if ((static_cast<uint8_t>(text[pos + i]) & 0xC0) != 0x80) {
                        throw ParseError("invalid UTF-8 sequence in string");
                    }
                }
                out.append(text, pos, length);
                pos += length;
                continue;
            }
            char escape = text[pos + 1];
            pos += 2;
            switch (escape) {
                case 'b': out += '\b'; break;
                case 'f': out += '\f'; break;
                case 'n': out += '\n'; break;
                case 'r': out += '\r'; break;
                case 't': out += '\t'; break;
                case 'u': {
                    uint32_t cp = hex4(text, pos);
                    pos += 4;
                    if (cp >= 0xD800 && cp < 0xDC00) {
                        if (text.compare(pos, 2, "\\u") != 0) throw ParseError("missing \\u escape for low surrogate");
                        uint32_t low = hex4(text, pos + 2);
                        if (low < 0xDC00 || low > 0xDFFF) throw ParseError("invalid low surrogate");
                        pos += 6;
                        cp = 0x10000 + ((cp - 0xD800) << 10) + (low - 0xDC00);
                    } else if (cp >= 0xDC00 && cp <= 0xDFFF) {
                        throw ParseError("unpaired low surrogate");
                    }
                    if (cp == 0) throw ParseError("\\u0000 is not supported");
                    append_utf8(out, cp);
                    break;
                }
                default: out += escape; break;  // " \ / '
            }
        }
        return out;
    }

    const std::vector<Token>& tokens_;
    size_t pos_ = 0;
};

}  // namespace

JsonStreamParser::JsonStreamParser(Handler handler, JsonStreamLimits limits)
    : handler_(std::move(handler)), limits_(limits) {}

void JsonStreamParser::feed(std::string_view bytes) {
    for (char c : bytes) feed_char(c);
}

void JsonStreamParser::flush() {
    // A number or keyword at the very end has no terminating character.
    if (state_ == LexState::kNumber || state_ == LexState::kKeyword) feed_char(' ');
    if (!tokens_.empty()) emit_value();
    reset();
}

void JsonStreamParser::reset() {
    state_ = LexState::kStart;
    current_.clear();
    tokens_.clear();
    token_bytes_ = 0;
    braces_ = brackets_ = 0;
}

bool JsonStreamParser::number_char_ok(char c) const {
    return is_digit(c) || c == '.' || c == 'e' || c == 'E' || c == '+' || c == '-';
}

void JsonStreamParser::feed_char(char c) {
    auto byte = static_cast<uint8_t>(c);
    switch (state_) {
        case LexState::kStart:
            if (is_space(c)) return;
            // 0xFE/0xFF can never occur in UTF-8 text; QMP clients send them
            // to get the parser back to a known state, so they are not errors.
            if (byte >= 0xFE) return;
            switch (c) {
                case '{': token(TokenType::kLeftBrace, "{"); return;
                case '}': token(TokenType::kRightBrace, "}"); return;
                case '[': token(TokenType::kLeftBracket, "["); return;
                case ']': token(TokenType::kRightBracket, "]"); return;
                case ':': token(TokenType::kColon, ":"); return;
                case ',': token(TokenType::kComma, ","); return;
                case '"':
                case '\'':
                    quote_ = c;
                    current_.assign(1, c);
                    state_ = LexState::kString;
                    return;
                default: break;
            }
            current_.assign(1, c);
            if (c == '-' || is_digit(c)) {
                state_ = LexState::kNumber;
            } else if (c >= 'a' && c <= 'z') {
                state_ = LexState::kKeyword;
            } else {
                lex_error();
            }
            return;

        case LexState::kString:
            if (byte < 0x20) {
                current_ += c;
                lex_error();
                return;
            }
            current_ += c;
            if (c == quote_) {
                state_ = LexState::kStart;
                token(TokenType::kString, std::move(current_));
                current_.clear();
            } else if (c == '\\') {
                state_ = LexState::kStringEscape;
            } else if (current_.size() > limits_.max_token_bytes) {
                // A single endless string must not eat all memory.
                emit_error("JSON token size limit exceeded");
                current_.clear();
                state_ = LexState::kRecovery;
            }
            return;

        case LexState::kStringEscape:
            current_ += c;
            if (c == 'u') {
                unicode_digits_ = 0;
                state_ = LexState::kStringUnicode;
            } else if (c == '"' || c == '\'' || c == '\\' || c == '/' || c == 'b' || c == 'f' || c == 'n' ||
                       c == 'r' || c == 't') {
                state_ = LexState::kString;
            } else {
                lex_error();
            }
            return;

        case LexState::kStringUnicode:
            current_ += c;
            if (!is_hex(c)) {
                lex_error();
            } else if (++unicode_digits_ == 4) {
                state_ = LexState::kString;
            }
            return;

        case LexState::kNumber:
        case LexState::kKeyword: {
            bool continues = state_ == LexState::kNumber ? number_char_ok(c) : (c >= 'a' && c <= 'z');
            if (continues) {
                current_ += c;
                if (current_.size() > limits_.max_token_bytes) {
                    emit_error("JSON token size limit exceeded");
                    current_.clear();
                    state_ = LexState::kRecovery;
                }
                return;
            }
            if (state_ == LexState::kNumber) {
                // Validate the whole literal against JSON's number grammar.
                const std::string& text = current_;
                size_t pos = text[0] == '-' ? 1 : 0;
                bool ok = pos < text.size() && is_digit(text[pos]);
                bool is_float = false;
                if (ok && text[pos] == '0') {
                    ++pos;
                } else {
                    while (pos < text.size() && is_digit(text[pos])) ++pos;
                }
                if (ok && pos < text.size() && text[pos] == '.') {
                    is_float = true;
                    ++pos;
                    ok = pos < text.size() && is_digit(text[pos]);
                    while (pos < text.size() && is_digit(text[pos])) ++pos;
                }
                if (ok && pos < text.size() && (text[pos] == 'e' || text[pos] == 'E')) {
                    is_float = true;
                    ++pos;
                    if (pos < text.size() && (text[pos] == '+' || text[pos] == '-')) ++pos;
                    ok = pos < text.size() && is_digit(text[pos]);
                    while (pos < text.size() && is_digit(text[pos])) ++pos;
                }
                if (!ok || pos != text.size()) {
                    lex_error();
                } else {
                    state_ = LexState::kStart;
                    token(is_float ? TokenType::kFloat : TokenType::kInteger, std::move(current_));
                    current_.clear();
                }
            } else {
                state_ = LexState::kStart;
                token(TokenType::kKeyword, std::move(current_));
                current_.clear();
            }
            // The character that ended the token starts the next one.
            feed_char(c);
            return;
        }

        case LexState::kRecovery:
            // Resynchronize on structural characters and control bytes, the
            // places where a new request is likely to start.
            if (is_structural(c) || (byte < 0x20 && c != '\t') || byte >= 0xFE) {
                state_ = LexState::kStart;
                feed_char(c);
            }
            return;
    }
}

void JsonStreamParser::lex_error() {
    std::string stray = std::move(current_);
    current_.clear();
    state_ = LexState::kRecovery;
    emit_error(fmt::format("JSON parse error, stray '{}'", stray));
}

void JsonStreamParser::token(TokenType type, std::string text) {
    switch (type) {
        case TokenType::kLeftBrace: ++braces_; break;
        case TokenType::kRightBrace: --braces_; break;
        case TokenType::kLeftBracket: ++brackets_; break;
        case TokenType::kRightBracket: --brackets_; break;
        default: break;
    }
    // Bound the memory and recursion one request can cost us.
    if (token_bytes_ + text.size() + 1 > limits_.max_token_bytes) {
        emit_error("JSON token size limit exceeded");
        return;
    }
    if (tokens_.size() + 1 > limits_.max_tokens) {
        emit_error("JSON token count limit exceeded");
        return;
    }
    if (braces_ + brackets_ > limits_.max_nesting) {
        emit_error("JSON nesting depth limit exceeded");
        return;
    }
    token_bytes_ += text.size();
    tokens_.push_back({type, std::move(text)});
    // Still inside a container: wait for more. A negative count means a stray
    // closer, which the parser reports.
    if ((braces_ > 0 || brackets_ > 0) && braces_ >= 0 && brackets_ >= 0) return;
    emit_value();
}

void JsonStreamParser::emit_value() {
    std::vector<Token> tokens = std::move(tokens_);
    tokens_.clear();
    token_bytes_ = 0;
    braces_ = brackets_ = 0;
    std::optional<Json> value;
    std::string error;
    try {
        value = TokenParser(tokens).parse();
    } catch (const ParseError& e) {
        error = fmt::format("JSON parse error, {}", e.what());
    }
    if (value) {
        handler_(std::move(value), {});
    } else {
        handler_(std::nullopt, std::move(error));
    }
}

void JsonStreamParser::emit_error(const std::string& message) {
    tokens_.clear();
    token_bytes_ = 0;
    braces_ = brackets_ = 0;
    handler_(std::nullopt, message);
}

}  // namespace mimic::monitor
