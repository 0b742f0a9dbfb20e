// What the codec harnesses share: the input as text, and a check that stops the
// fuzzer with the broken invariant's name. The core must not throw, so no
// harness catches anything: an exception is a finding.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string_view>

#include "ec2seed/core/result.h"

namespace ec2seed::fuzz {

inline std::string_view as_text(const std::uint8_t* data, std::size_t size) {
    return {reinterpret_cast<const char*>(data), size};
}

inline void require(bool condition, const char* invariant) {
    if (!condition) {
        std::fprintf(stderr, "invariant broken: %s\n", invariant);
        std::abort();
    }
}

// A rejection carries one of the codes its parser documents, and a message.
template <typename T>
void require_documented_error(const Result<T>& result, std::initializer_list<ErrorCode> codes) {
    if (result) {
        return;
    }

    bool documented = false;
    for (const ErrorCode code : codes) {
        documented = documented || result.error().code == code;
    }
    require(documented, "error code not among those the parser documents");
    require(!result.error().message.empty(), "error without a message");
}

}  // namespace ec2seed::fuzz
