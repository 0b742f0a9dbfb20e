// Strict base64 decoder. Checks: a success re-encodes to exactly the input and
// agrees with Botan's decoder; a failure happens exactly when Botan's lenient
// decoding does not re-encode to the input (the input is not canonical).
#include <botan/base64.h>
#include <botan/exceptn.h>

#include <optional>

#include "ec2seed/core/base64.h"
#include "fuzz_check.h"

namespace {

// Botan's view of text; Botan signals bad input with Invalid_Argument only.
std::optional<ec2seed::SecureBytes> reference_decode(std::string_view text) {
    try {
        return Botan::base64_decode(text.data(), text.size(), false);
    } catch (const Botan::Invalid_Argument&) {
        return std::nullopt;
    }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    using namespace ec2seed;
    const std::string_view text = fuzz::as_text(data, size);

    const Result<SecureBytes> decoded = base64_decode_strict(text, size);
    fuzz::require_documented_error(decoded, {ErrorCode::bad_base64});

    const std::optional<SecureBytes> reference = reference_decode(text);
    const bool canonical = reference && base64_encode(*reference) == text;
    fuzz::require(decoded.has_value() == canonical, "accepted iff canonical");
    if (decoded) {
        fuzz::require(base64_encode(*decoded) == text, "re-encoding gives the input");
        fuzz::require(*decoded == *reference, "agrees with Botan");
    }

    if (size > 0) {
        const Result<SecureBytes> bounded = base64_decode_strict(text, size - 1);
        fuzz::require(!bounded && bounded.error().code == ErrorCode::input_too_large,
                      "refuses input over its bound");
    }
    return 0;
}
