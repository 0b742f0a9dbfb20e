// Base64 (RFC 4648 section 4). The decoders accept one spelling of each byte
// string, so that a reply that has been tampered with or truncated is refused
// rather than silently decoded to something else.
#include "ec2seed/core/base64.h"

#include <array>

namespace ec2seed {

namespace {

constexpr std::string_view alphabet =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

constexpr std::uint8_t not_base64 = 0xff;

constexpr std::array<std::uint8_t, 256> make_decode_table() {
    std::array<std::uint8_t, 256> table{};
    for (auto& entry : table) {
        entry = not_base64;
    }
    for (std::size_t i = 0; i < alphabet.size(); ++i) {
        table[static_cast<unsigned char>(alphabet[i])] = static_cast<std::uint8_t>(i);
    }
    return table;
}

constexpr std::array<std::uint8_t, 256> decode_table = make_decode_table();

bool is_line_space(char c) {
    return c == '\r' || c == '\n' || c == ' ' || c == '\t';
}

Error bad_base64(std::string what, std::size_t offset) {
    // Names the offset only, never the character: the text may be KMS plaintext.
    return Error{ErrorCode::bad_base64, what + " at offset " + std::to_string(offset)};
}

// Decodes text one group of four at a time. With skip_line_space, CR, LF, space
// and tab are ignored wherever they stand; every other rule stays strict.
Result<SecureBytes> decode(std::string_view text, std::size_t max_input, bool skip_line_space) {
    if (text.size() > max_input) {
        return Error{ErrorCode::input_too_large, "base64 text of " + std::to_string(text.size()) +
                                                     " characters exceeds " +
                                                     std::to_string(max_input)};
    }

    // RFC 4648 3.1 and 4: the encoding is whole groups of four characters.
    if (!skip_line_space && text.size() % 4 != 0) {
        return bad_base64("length not a multiple of 4, last group incomplete", text.size());
    }

    SecureBytes out;
    out.reserve(text.size() / 4 * 3);
    std::array<std::uint8_t, 4> group{};
    std::size_t in_group = 0;  // characters of the current group seen so far
    std::size_t padding = 0;   // '=' seen in the current group
    bool finished = false;     // a padded group closed the encoding

    for (std::size_t offset = 0; offset < text.size(); ++offset) {
        const char c = text[offset];
        if (skip_line_space && is_line_space(c)) {
            continue;
        }

        // RFC 4648 3.3: padding ends the data; nothing may follow it.
        if (finished) {
            return bad_base64("data after padding", offset);
        }

        if (c == '=') {
            // RFC 4648 4: a group carries at least two data characters ("xx==" or "xxx=").
            if (in_group < 2) {
                return bad_base64("misplaced padding", offset);
            }
            ++padding;
            group[in_group++] = 0;
        } else {
            const std::uint8_t value = decode_table[static_cast<unsigned char>(c)];
            if (value == not_base64) {
                return bad_base64("character outside the base64 alphabet", offset);
            }
            if (padding != 0) {
                return bad_base64("data after padding", offset);
            }
            group[in_group++] = value;
        }
        if (in_group < 4) {
            continue;
        }

        // RFC 4648 3.5: the bits that pad the last data character must be zero.
        if (padding == 2 && (group[1] & 0x0f) != 0) {
            return bad_base64("non-zero trailing bits", offset - 2);
        }
        if (padding == 1 && (group[2] & 0x03) != 0) {
            return bad_base64("non-zero trailing bits", offset - 1);
        }

        const std::uint32_t bits = (std::uint32_t{group[0]} << 18) |
                                   (std::uint32_t{group[1]} << 12) |
                                   (std::uint32_t{group[2]} << 6) | std::uint32_t{group[3]};
        out.push_back(static_cast<std::uint8_t>(bits >> 16));
        if (padding < 2) {
            out.push_back(static_cast<std::uint8_t>(bits >> 8));
        }
        if (padding < 1) {
            out.push_back(static_cast<std::uint8_t>(bits));
        }
        finished = padding != 0;
        in_group = 0;
    }

    if (in_group != 0) {
        return bad_base64("text ends inside a group of four", text.size());
    }
    return out;
}

}  // namespace

std::string base64_encode(std::span<const std::uint8_t> bytes) {
    std::string out;
    out.reserve((bytes.size() + 2) / 3 * 4);

    std::size_t i = 0;
    for (; i + 3 <= bytes.size(); i += 3) {
        const std::uint32_t bits =
            (std::uint32_t{bytes[i]} << 16) | (std::uint32_t{bytes[i + 1]} << 8) | bytes[i + 2];
        out.push_back(alphabet[(bits >> 18) & 0x3f]);
        out.push_back(alphabet[(bits >> 12) & 0x3f]);
        out.push_back(alphabet[(bits >> 6) & 0x3f]);
        out.push_back(alphabet[bits & 0x3f]);
    }

    // RFC 4648 4: a final one or two bytes become two or three characters and padding.
    const std::size_t rest = bytes.size() - i;
    if (rest == 1) {
        const std::uint32_t bits = std::uint32_t{bytes[i]} << 16;
        out.push_back(alphabet[(bits >> 18) & 0x3f]);
        out.push_back(alphabet[(bits >> 12) & 0x3f]);
        out += "==";
    } else if (rest == 2) {
        const std::uint32_t bits =
            (std::uint32_t{bytes[i]} << 16) | (std::uint32_t{bytes[i + 1]} << 8);
        out.push_back(alphabet[(bits >> 18) & 0x3f]);
        out.push_back(alphabet[(bits >> 12) & 0x3f]);
        out.push_back(alphabet[(bits >> 6) & 0x3f]);
        out.push_back('=');
    }
    return out;
}

Result<SecureBytes> base64_decode_strict(std::string_view text, std::size_t max_input) {
    return decode(text, max_input, false);
}

Result<SecureBytes> base64_decode_wrapped(std::string_view text, std::size_t max_input) {
    return decode(text, max_input, true);
}

}  // namespace ec2seed
