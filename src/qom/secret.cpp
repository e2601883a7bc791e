// The "secret" object: a password or key given once (-object secret,id=s0,
// data=... or file=...) and referred to by id from the objects that need it
// (encrypted images, TLS, VNC passwords). The value is kept, decoded, for
// those consumers; like QEMU, qom-get reads back the properties as given.
// A secret may itself be encrypted with another (keyid=, iv=).
#include <nlohmann/json.hpp>

#include <cstring>
#include <sstream>

#include "mimic/qom/user_creatable.h"
#include "secret_decrypt.h"
#include "mimic/util/error.h"
#include "mimic/util/load_file.h"

namespace mimic::qom {

namespace {

enum class SecretFormat { kRaw, kBase64 };

// Passwords and keys are bytes to kilobytes; a file beyond this is a mistake.
constexpr uint64_t kMaxSecretFileSize = 1024 * 1024;

std::string decode_base64(std::string_view text) {
    static constexpr std::string_view kAlphabet =
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    std::string out;
    uint32_t bits = 0;
    int count = 0;
    for (char c : text) {
        if (c == '=') break;
        size_t v = kAlphabet.find(c);
        if (v == std::string_view::npos) throw Error("Base64 data contains invalid characters");
        bits = (bits << 6) | uint32_t(v);
        count += 6;
        if (count >= 8) {
            count -= 8;
            out.push_back(char((bits >> count) & 0xff));
        }
    }
    return out;
}

class Secret : public UserCreatable {
public:
    void complete() override {
        if (!data_.empty() && !file_.empty()) throw Error("'file' and 'data' are mutually exclusive");
        if (data_.empty() && file_.empty()) throw Error("Either 'file' or 'data' must be provided");
        std::string input = data_.empty() ? read_file() : data_;
        if (!keyid_.empty()) {
            value_ = decrypt(input);
        } else {
            value_ = format_ == SecretFormat::kBase64 ? decode_base64(input) : input;
        }
        loaded_ = true;
    }

    // The decoded secret, for the objects that refer to it by id.
    const std::string& value() const { return value_; }

private:
    friend struct SecretRegistration;

    // keyid=: the input (base64 with format=base64) is AES-256-CBC
    // ciphertext; the key is another secret's value, the IV base64 in iv=.
    // Checked in QEMU's order, with its texts.
    std::string decrypt(const std::string& input) const {
        Object* object = objects_container(const_cast<Secret&>(*this)).child(keyid_);
        if (!object) throw Error("No secret with id '{}'", keyid_);
        auto* key = dynamic_cast<Secret*>(object);
        if (!key) throw Error("Object with id '{}' is not a secret", keyid_);
        if (!key->loaded_) throw Error("Secret with id '{}' has no data", keyid_);
        if (key->value_.size() != 32) throw Error("Key should be 32 bytes in length");
        if (iv_.empty()) throw Error("IV is required to decrypt secret");
        std::string iv = decode_base64(iv_);
        if (iv.size() != 16) throw Error("IV should be 16 bytes in length not {}", iv.size());
        return aes256_cbc_decrypt(key->value_, iv,
                                  format_ == SecretFormat::kBase64 ? decode_base64(input) : input);
    }

    // As QEMU (glib's words): a pipe or /dev/fd/N works, within a bound no
    // secret comes near.
    std::string read_file() const {
        std::vector<uint8_t> data;
        try {
            data = load_file_bounded(file_, kMaxSecretFileSize, FileKind::kRegularOrStream);
        } catch (const FileLoadError& e) {
            const char* step = e.reason() == FileLoadError::Reason::kOpen ? "Failed to open" : "Error reading";
            throw Error("Unable to read {}: {} file \u201c{}\u201d: {}", file_, step, file_, e.what());
        }
        return std::string(data.begin(), data.end());
    }

    void list_builtin_properties(std::vector<PropertyListing>& out) const override {
        UserCreatable::list_builtin_properties(out);
        out.push_back({"loaded", "bool"});
    }
    bool get_builtin_property(std::string_view name, nlohmann::json& value) const override {
        if (name != "loaded") return UserCreatable::get_builtin_property(name, value);
        value = loaded_;
        return true;
    }

    std::string data_;
    std::string file_;
    SecretFormat format_ = SecretFormat::kRaw;
    std::string keyid_;
    std::string iv_;
    std::string value_;
    bool loaded_ = false;

public:
    static std::vector<Property> properties() {
        return {
            prop::object_string("iv", &Secret::iv_),
            prop::object_string("keyid", &Secret::keyid_),
            prop::enumeration("format", &Secret::format_, "QCryptoSecretFormat", {"raw", "base64"},
                              SecretFormat::kRaw)
                .plain_qom(),
            prop::object_string("file", &Secret::file_),
            prop::object_string("data", &Secret::data_),
        };
    }
};

MIMIC_REGISTER_TYPE({
    .name = "secret",
    .parent = kTypeUserCreatable,
    .factory = factory_of<Secret>(),
    .properties = Secret::properties(),
});

}  // namespace

void link_secret_type() {}

}  // namespace mimic::qom
