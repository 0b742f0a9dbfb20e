// Whitening: FIPS 180 vectors for the default hash, other Botan hashes by name,
// and the rejection of names Botan does not provide.
#include "ec2seed/core/whiten.h"

#include <string>

#include <botan/hex.h>
#include <gtest/gtest.h>

namespace ec2seed {
namespace {

Bytes bytes_of(std::string_view text) {
    return Bytes(text.begin(), text.end());
}

// The digest of text under hash_name, in lowercase hex ("" on error).
std::string hex_digest(std::string_view hash_name, std::string_view text) {
    const Result<SecureBytes> digest = whiten(hash_name, bytes_of(text));
    return digest ? Botan::hex_encode(*digest, false) : "";
}

// FIPS 180-2 appendix A (SHA-1) and B (SHA-256) examples.
TEST(Whiten, DefaultHashIsSha1AndMatchesFips180) {
    EXPECT_EQ(default_whitening_hash, "SHA-1");
    EXPECT_EQ(hex_digest(default_whitening_hash, "abc"),
              "a9993e364706816aba3e25717850c26c9cd0d89d");
    EXPECT_EQ(hex_digest(default_whitening_hash,
                         "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq"),
              "84983e441c3bd26ebaae4aa1f95129e5e54670f1");
    EXPECT_EQ(hex_digest(default_whitening_hash, ""), "da39a3ee5e6b4b0d3255bfef95601890afd80709");
}

TEST(Whiten, OtherHashesByBotanName) {
    EXPECT_EQ(hex_digest("SHA-256", "abc"),
              "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    const Result<SecureBytes> sha512 = whiten("SHA-512", bytes_of("abc"));
    ASSERT_TRUE(sha512);
    EXPECT_EQ(sha512->size(), 64U);
}

TEST(Whiten, DigestDependsOnEveryByteOfTheItem) {
    EXPECT_NE(hex_digest("SHA-1", "i-0123456789abcdef0"),
              hex_digest("SHA-1", "i-0123456789abcdef1"));
    EXPECT_NE(hex_digest("SHA-1", "ab"), hex_digest("SHA-1", "abc"));
}

TEST(Whiten, RejectsNamesBotanDoesNotProvide) {
    for (const std::string_view name : {"", "SHA-0", "sha1x", "SHA-3(abc)", "Skein-512(,", "("}) {
        const Result<SecureBytes> digest = whiten(name, bytes_of("abc"));
        ASSERT_FALSE(digest) << "accepted hash name: " << name;
        EXPECT_EQ(digest.error().code, ErrorCode::unsupported_hash);
        EXPECT_NE(digest.error().message.find("is not provided"), std::string::npos);
        EXPECT_FALSE(hash_available(name)) << name;
    }
}

TEST(Whiten, HashAvailableForWhatWhitenAccepts) {
    for (const std::string_view name : {"SHA-1", "SHA-256", "SHA-3(256)", "BLAKE2b(256)"}) {
        EXPECT_TRUE(hash_available(name)) << name;
        EXPECT_TRUE(whiten(name, bytes_of("x"))) << name;
    }
}

}  // namespace
}  // namespace ec2seed
