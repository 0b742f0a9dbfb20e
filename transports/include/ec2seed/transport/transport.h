// The interface every network transport implements, so the driver (app/) runs the
// Seeder's requests over libcurl or the native stack alike.
//
// Calling order: submit() any number of requests, then wait() repeatedly; each
// submitted request completes exactly once, with a response or a TransportError,
// in whatever order the network answers. A transport never blocks in submit().
// TLS is initialised lazily, on the first https request, never at construction:
// phase 1 must reach the kernel before a TLS library seeds itself.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "ec2seed/core/http.h"
#include "ec2seed/core/time.h"
#include "ec2seed/transport/clock.h"

namespace ec2seed::transport {

struct TlsOptions {
    // PEM file of trusted CAs; unset: the system trust store (/etc/ssl/certs).
    std::optional<std::string> ca_bundle;
};

struct Completion {
    RequestId id = 0;
    std::variant<HttpResponse, TransportError> outcome;
    // For -v logs only: which connection carried the request, and whether it was
    // a reused one.
    std::uint64_t connection = 0;
    bool reused_connection = false;
};

class Transport {
public:
    virtual ~Transport() = default;

    // Starts sending request. Its deadline and max_response_bytes bind the transport.
    virtual void submit(HttpRequest request) = 0;

    // Blocks until at least one request completes or the monotonic time `until`
    // passes; returns the completions (possibly none).
    virtual std::vector<Completion> wait(MonoTime until) = 0;

    // Requests submitted and not yet completed.
    virtual std::size_t in_flight() const = 0;

    // "curl" or "native".
    virtual std::string_view name() const = 0;
};

std::unique_ptr<Transport> make_native_transport(const MonotonicClock& clock, TlsOptions tls);
#if EC2SEED_WITH_CURL
std::unique_ptr<Transport> make_curl_transport(const MonotonicClock& clock, TlsOptions tls);
#endif

}  // namespace ec2seed::transport
