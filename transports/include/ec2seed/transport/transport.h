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
    // PEM file of trusted CAs, trusted alone; unset: the system trust store
    // (/etc/ssl/certs/ca-certificates.crt). Neither transport reads SSL_CERT_FILE,
    // SSL_CERT_DIR or CURL_CA_BUNDLE: the environment does not change what is trusted.
    // A bundle that cannot be read makes every https request fail with tls_failure.
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
    // Never fails here: a request that cannot start (deadline already passed, name
    // not resolved, connection refused at once) completes with its TransportError at
    // the next wait(). Proxies are never used and redirects never followed.
    virtual void submit(HttpRequest request) = 0;

    // Blocks until at least one request completes or the monotonic time `until`
    // passes; returns the completions (possibly none). With nothing in flight it
    // simply sleeps until `until`. The caller hands each completion to the core.
    virtual std::vector<Completion> wait(MonoTime until) = 0;

    // Requests submitted and not yet completed.
    virtual std::size_t in_flight() const = 0;

    // "curl" or "native".
    virtual std::string_view name() const = 0;
};

// Both keep `clock` by reference: it must outlive the transport. Neither touches a
// TLS library or a random source until the first https request.
std::unique_ptr<Transport> make_native_transport(const MonotonicClock& clock, TlsOptions tls);
#if EC2SEED_WITH_CURL
std::unique_ptr<Transport> make_curl_transport(const MonotonicClock& clock, TlsOptions tls);
#endif

}  // namespace ec2seed::transport
