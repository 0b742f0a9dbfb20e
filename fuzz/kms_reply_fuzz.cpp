// GenerateRandom reply. The first two bytes choose how many bytes were asked for
// (0..1023 plus one, so 1..1024); the rest is the body. Checks: a success holds
// exactly that many bytes and came from a body under the bound.
#include "ec2seed/core/kms.h"
#include "fuzz_check.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    using namespace ec2seed;
    if (size < 2) {
        return 0;
    }
    const std::size_t expected = ((std::size_t{data[0]} << 8 | data[1]) % 1024) + 1;
    const std::string_view body = fuzz::as_text(data + 2, size - 2);

    const Result<SecureBytes> plaintext = kms::parse_generate_random_reply(body, expected);
    fuzz::require_documented_error(
        plaintext, {ErrorCode::input_too_large, ErrorCode::bad_json, ErrorCode::missing_field,
                    ErrorCode::bad_base64, ErrorCode::bad_length});
    if (plaintext) {
        fuzz::require(plaintext->size() == expected, "length differs from what was asked");
        fuzz::require(body.size() <= kms::max_reply_bytes, "accepted over the bound");
    }
    return 0;
}
