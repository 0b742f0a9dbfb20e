// The transports under test, by name, so that each test runs against every transport
// this build has.
#pragma once

#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "ec2seed/transport/transport.h"

namespace ec2seed::test {

enum class TransportKind { curl, native };

inline std::vector<TransportKind> all_transport_kinds() {
#if EC2SEED_WITH_CURL
    return {TransportKind::curl, TransportKind::native};
#else
    return {TransportKind::native};
#endif
}

inline std::string_view kind_name(TransportKind kind) {
    return kind == TransportKind::curl ? "curl" : "native";
}

// Names each parameterised test after its transport ("…/curl", "…/native").
inline std::string transport_test_name(const ::testing::TestParamInfo<TransportKind>& param) {
    return std::string(kind_name(param.param));
}

inline std::unique_ptr<transport::Transport> make_transport(TransportKind kind,
                                                            const transport::MonotonicClock& clock,
                                                            transport::TlsOptions tls) {
#if EC2SEED_WITH_CURL
    if (kind == TransportKind::curl) {
        return transport::make_curl_transport(clock, std::move(tls));
    }
#endif
    return transport::make_native_transport(clock, std::move(tls));
}

}  // namespace ec2seed::test
