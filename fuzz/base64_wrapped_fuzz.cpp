// Wrapped base64 decoder (the IMDS signature). Checks: it decodes exactly what the
// strict decoder makes of the input with CR, LF, space and tab removed.
#include <string>

#include "ec2seed/core/base64.h"
#include "fuzz_check.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    using namespace ec2seed;
    const std::string_view text = fuzz::as_text(data, size);

    const Result<SecureBytes> decoded = base64_decode_wrapped(text, size);
    fuzz::require_documented_error(decoded, {ErrorCode::bad_base64});

    std::string unwrapped;
    for (const char c : text) {
        if (c != '\r' && c != '\n' && c != ' ' && c != '\t') {
            unwrapped.push_back(c);
        }
    }
    const Result<SecureBytes> strict = base64_decode_strict(unwrapped, unwrapped.size());
    fuzz::require(decoded.has_value() == strict.has_value(), "agrees with strict on unwrapped");
    if (decoded) {
        fuzz::require(*decoded == *strict, "same bytes as strict on unwrapped");
        fuzz::require(base64_encode(*decoded) == unwrapped,
                      "re-encoding gives the unwrapped input");
    }

    if (size > 0) {
        const Result<SecureBytes> bounded = base64_decode_wrapped(text, size - 1);
        fuzz::require(!bounded && bounded.error().code == ErrorCode::input_too_large,
                      "refuses input over its bound");
    }
    return 0;
}
