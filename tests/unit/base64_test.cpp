// Base64: RFC 4648 test vectors, every rejection of the strict and wrapped
// decoders, and properties against Botan's decoder as an independent reference.
#include "ec2seed/core/base64.h"

#include <exception>
#include <optional>
#include <string>
#include <vector>

#include <botan/base64.h>
#include <gtest/gtest.h>
#include <rapidcheck/gtest.h>

namespace ec2seed {
namespace {

constexpr std::size_t bound = 4096;

Bytes bytes_of(std::string_view text) {
    return Bytes(text.begin(), text.end());
}
std::string text_of(const SecureBytes& bytes) {
    return std::string(bytes.begin(), bytes.end());
}

// The decoder's error for text, or "" when it decoded.
std::string strict_error(std::string_view text) {
    const Result<SecureBytes> result = base64_decode_strict(text, bound);
    return result ? "" : result.error().message;
}

// RFC 4648 section 10.
TEST(Base64, EncodesTheRfc4648Vectors) {
    EXPECT_EQ(base64_encode(bytes_of("")), "");
    EXPECT_EQ(base64_encode(bytes_of("f")), "Zg==");
    EXPECT_EQ(base64_encode(bytes_of("fo")), "Zm8=");
    EXPECT_EQ(base64_encode(bytes_of("foo")), "Zm9v");
    EXPECT_EQ(base64_encode(bytes_of("foob")), "Zm9vYg==");
    EXPECT_EQ(base64_encode(bytes_of("fooba")), "Zm9vYmE=");
    EXPECT_EQ(base64_encode(bytes_of("foobar")), "Zm9vYmFy");
}

TEST(Base64, EncodesTheWholeAlphabet) {
    const Bytes bytes{0x00, 0x10, 0x83, 0x10, 0x51, 0x87, 0x20, 0x92, 0x8b, 0x30, 0xd3, 0x8f,
                      0x41, 0x14, 0x93, 0x51, 0x55, 0x97, 0x61, 0x96, 0x9b, 0x71, 0xd7, 0x9f,
                      0x82, 0x18, 0xa3, 0x92, 0x59, 0xa7, 0xa2, 0x9a, 0xab, 0xb2, 0xdb, 0xaf,
                      0xc3, 0x1c, 0xb3, 0xd3, 0x5d, 0xb7, 0xe3, 0x9e, 0xbb, 0xf3, 0xdf, 0xbf};
    EXPECT_EQ(base64_encode(bytes),
              "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/");
}

TEST(Base64Strict, DecodesTheRfc4648Vectors) {
    for (const std::string_view plain : {"", "f", "fo", "foo", "foob", "fooba", "foobar"}) {
        const Result<SecureBytes> decoded =
            base64_decode_strict(base64_encode(bytes_of(plain)), bound);
        ASSERT_TRUE(decoded) << decoded.error().message;
        EXPECT_EQ(text_of(*decoded), plain);
    }
}

TEST(Base64Strict, RejectsAnIncompleteGroup) {
    for (const std::string_view text : {"Z", "Zg", "Zg=", "Zm9vY", "Zm9vYmFy\n"}) {
        const Result<SecureBytes> decoded = base64_decode_strict(text, bound);
        ASSERT_FALSE(decoded) << text;
        EXPECT_EQ(decoded.error().code, ErrorCode::bad_base64);
        EXPECT_NE(decoded.error().message.find("multiple of 4"), std::string::npos);
        EXPECT_NE(decoded.error().message.find("offset " + std::to_string(text.size())),
                  std::string::npos);
    }
}

TEST(Base64Strict, RejectsCharactersOutsideTheAlphabetAndNamesTheOffset) {
    EXPECT_EQ(strict_error("Zm9v Zg="), "character outside the base64 alphabet at offset 4");
    EXPECT_EQ(strict_error("Zm-v"), "character outside the base64 alphabet at offset 2");
    EXPECT_EQ(strict_error("Zm_v"), "character outside the base64 alphabet at offset 2");
    EXPECT_EQ(strict_error(std::string("Zm\0v", 4)),
              "character outside the base64 alphabet at offset 2");
    EXPECT_EQ(strict_error("Zm9\xff"), "character outside the base64 alphabet at offset 3");
}

TEST(Base64Strict, RejectsMisplacedPadding) {
    EXPECT_EQ(strict_error("===="), "misplaced padding at offset 0");
    EXPECT_EQ(strict_error("Z==="), "misplaced padding at offset 1");
    EXPECT_EQ(strict_error("Zm9v=Zg="), "misplaced padding at offset 4");
    EXPECT_EQ(strict_error("Zg=a"), "data after padding at offset 3");
}

TEST(Base64Strict, RejectsDataAfterTheFinalGroup) {
    EXPECT_EQ(strict_error("Zg==Zm9v"), "data after padding at offset 4");
    EXPECT_EQ(strict_error("Zm8=Zm8="), "data after padding at offset 4");
    EXPECT_EQ(strict_error("Zm8====="), "data after padding at offset 4");
}

TEST(Base64Strict, RejectsNonZeroTrailingBits) {
    // RFC 4648 3.5: "Zh==" and "Zm9=" decode to "f" and "fo" in lenient decoders.
    EXPECT_EQ(strict_error("Zh=="), "non-zero trailing bits at offset 1");
    EXPECT_EQ(strict_error("Zm9="), "non-zero trailing bits at offset 2");
    EXPECT_EQ(strict_error("Zm9vZ/=="), "non-zero trailing bits at offset 5");
}

TEST(Base64Strict, AcceptsExactlyTheBoundAndRejectsOneMore) {
    const std::string text(16, 'A');
    EXPECT_TRUE(base64_decode_strict(text, 16));

    const Result<SecureBytes> over = base64_decode_strict(text, 15);
    ASSERT_FALSE(over);
    EXPECT_EQ(over.error().code, ErrorCode::input_too_large);
}

TEST(Base64Wrapped, DecodesTextWrappedInLines) {
    const Result<SecureBytes> decoded =
        base64_decode_wrapped("Zm9v\r\nYmFy\n Zm9v\tYg==\r\n", bound);
    ASSERT_TRUE(decoded) << decoded.error().message;
    EXPECT_EQ(text_of(*decoded), "foobarfoob");
}

TEST(Base64Wrapped, IsStrictApartFromLineSpace) {
    for (const std::string_view text :
         {"Zm9v\vYmFy", "Zm9v\nYmF", "Zh==\n", "Zg==\nZg==", "Zm9v\n=Zg=", "\r\n"}) {
        const Result<SecureBytes> result = base64_decode_wrapped(text, bound);
        if (text == "\r\n") {
            // Nothing but line space is the empty encoding.
            ASSERT_TRUE(result);
            EXPECT_TRUE(result->empty());
            continue;
        }
        ASSERT_FALSE(result) << "accepted: " << text;
        EXPECT_EQ(result.error().code, ErrorCode::bad_base64) << text;
    }
}

TEST(Base64Wrapped, SkipsLineSpaceInsideAGroupToo) {
    const Result<SecureBytes> decoded = base64_decode_wrapped("Zg\n==", bound);
    ASSERT_TRUE(decoded) << decoded.error().message;
    EXPECT_EQ(text_of(*decoded), "f");
}

TEST(Base64Wrapped, NamesTheOffsetInTheWrappedText) {
    const Result<SecureBytes> result = base64_decode_wrapped("Zm9v\r\nYm*y", bound);
    ASSERT_FALSE(result);
    EXPECT_EQ(result.error().message, "character outside the base64 alphabet at offset 8");
}

TEST(Base64Wrapped, CountsLineSpaceAgainstTheBound) {
    const std::string text = "Zm9v" + std::string(13, '\n');
    EXPECT_TRUE(base64_decode_wrapped(text, 17));

    const Result<SecureBytes> over = base64_decode_wrapped(text, 16);
    ASSERT_FALSE(over);
    EXPECT_EQ(over.error().code, ErrorCode::input_too_large);
}

// Botan's decoder, as an independent reference: the bytes for text, or nothing
// when Botan refuses it. Botan is lenient about trailing bits, which is what the
// property below needs.
std::optional<SecureBytes> reference_decode(const std::string& text) {
    try {
        return Botan::base64_decode(text.data(), text.size(), false);
    } catch (const std::exception&) {
        return std::nullopt;
    }
}

// Strings over the alphabet and '=' (and a few stray characters), mostly of a
// length that is a multiple of four, plus encodings with one character changed.
rc::Gen<std::string> base64_like() {
    const auto character = rc::gen::weightedOneOf<char>(
        {{20, rc::gen::elementOf(
                  std::string("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"))},
         {6, rc::gen::just('=')},
         {1, rc::gen::elementOf(std::string(" \n-_*\0", 6))}});
    const auto random_text =
        rc::gen::mapcat(rc::gen::inRange<std::size_t>(0, 7), [character](std::size_t groups) {
            return rc::gen::container<std::string>(groups * 4, character);
        });
    const auto mutated_encoding = rc::gen::map(
        rc::gen::tuple(rc::gen::arbitrary<Bytes>(), rc::gen::arbitrary<std::size_t>(), character),
        [](const std::tuple<Bytes, std::size_t, char>& input) {
            std::string text = base64_encode(std::get<0>(input));
            if (!text.empty()) {
                text[std::get<1>(input) % text.size()] = std::get<2>(input);
            }
            return text;
        });
    return rc::gen::oneOf(random_text, mutated_encoding);
}

RC_GTEST_PROP(Base64Property, RoundTripsEveryByteString, (const Bytes& bytes)) {
    const std::string text = base64_encode(bytes);
    RC_ASSERT(text.size() == (bytes.size() + 2) / 3 * 4);

    const Result<SecureBytes> decoded = base64_decode_strict(text, bound);
    RC_ASSERT(decoded.has_value());
    RC_ASSERT(Bytes(decoded->begin(), decoded->end()) == bytes);
}

RC_GTEST_PROP(Base64Property, WrappedRoundTripsAtAnyLineLength, (const Bytes& bytes)) {
    const std::size_t line = *rc::gen::inRange<std::size_t>(1, 80);
    const std::string eol = *rc::gen::elementOf(std::vector<std::string>{"\n", "\r\n", " ", "\t"});
    const std::string text = base64_encode(bytes);
    std::string wrapped;
    for (std::size_t i = 0; i < text.size(); i += line) {
        wrapped += text.substr(i, line) + eol;
    }

    const Result<SecureBytes> decoded = base64_decode_wrapped(wrapped, 2 * bound);
    RC_ASSERT(decoded.has_value());
    RC_ASSERT(Bytes(decoded->begin(), decoded->end()) == bytes);
}

RC_GTEST_PROP(Base64Property, StrictAcceptsExactlyTheCanonicalEncodings, ()) {
    const std::string text = *base64_like();
    const std::optional<SecureBytes> reference = reference_decode(text);
    const bool canonical = reference && base64_encode(*reference) == text;
    RC_TAG(canonical ? "canonical" : "not canonical");

    const Result<SecureBytes> decoded = base64_decode_strict(text, bound);
    RC_ASSERT(decoded.has_value() == canonical);
    if (decoded) {
        RC_ASSERT(base64_encode(*decoded) == text);
        RC_ASSERT(*decoded == *reference);
    } else {
        RC_ASSERT(decoded.error().code == ErrorCode::bad_base64);
        RC_ASSERT(decoded.error().message.find(" at offset ") != std::string::npos);
    }
}

RC_GTEST_PROP(Base64Property, NeverAcceptsMoreThanTheBound, (const Bytes& bytes)) {
    const std::string text = base64_encode(bytes);
    RC_PRE(!text.empty());
    const std::size_t max_input = *rc::gen::inRange<std::size_t>(0, text.size());

    for (const auto& decoded :
         {base64_decode_strict(text, max_input), base64_decode_wrapped(text, max_input)}) {
        RC_ASSERT(!decoded.has_value());
        RC_ASSERT(decoded.error().code == ErrorCode::input_too_large);
    }
}

}  // namespace
}  // namespace ec2seed
