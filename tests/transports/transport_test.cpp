// Both network transports against the loopback server (loopback_server.py): what
// goes on the wire, what comes back, and how each failure is reported. Every test
// runs once per transport; the last group checks that both hand the core identical
// responses for identical exchanges.
#include <gtest/gtest.h>

#include <algorithm>
#include <cctype>
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include <boost/json.hpp>

#include "ec2seed/transport/transport.h"
#include "loopback_server.h"
#include "transport_kinds.h"

namespace ec2seed::test {
namespace {

using transport::Completion;
using transport::MonotonicClock;
using transport::TlsOptions;
using transport::Transport;

// Variables that could steer a TLS library or a proxy; each test starts without them.
constexpr const char* steering_variables[] = {
    "SSL_CERT_FILE", "SSL_CERT_DIR", "CURL_CA_BUNDLE", "AWS_CA_BUNDLE", "http_proxy", "HTTP_PROXY",
    "https_proxy",   "HTTPS_PROXY",  "all_proxy",      "ALL_PROXY",     "no_proxy",   "NO_PROXY",
};

std::string body_text(const HttpResponse& response) {
    return std::string(body_view(response));
}

std::string expected_pattern(std::size_t count) {
    std::string bytes;
    for (std::size_t i = 0; i < count; ++i) {
        bytes.push_back(static_cast<char>((i * 7 + 3) % 256));
    }
    return bytes;
}

// Starts the loopback server for each test, with no TLS or proxy variable set.
class LoopbackTest : public ::testing::Test {
  protected:
    void SetUp() override {
        for (const char* name : steering_variables) {
            ::unsetenv(name);
        }
        m_server = std::make_unique<LoopbackServer>();
    }

    TlsOptions test_ca() const { return TlsOptions{m_server->ca_bundle()}; }

    HttpRequest request(std::string target, Scheme scheme = Scheme::http, std::uint16_t port = 0,
                        std::string host = "127.0.0.1") {
        HttpRequest r;
        r.id = ++m_last_id;
        r.label = "test";
        if (port == 0) {
            port = scheme == Scheme::http ? m_server->plain_port() : m_server->tls_port();
        }
        r.endpoint = Endpoint{scheme, std::move(host), port};
        r.method = "GET";
        r.target = std::move(target);
        r.deadline = m_clock.now() + MonoTime{5000};
        return r;
    }

    // Submits every request at once and waits for all of them, in request order.
    // Bounded: a transport that never completes fails the test instead of hanging it.
    std::vector<Completion> run_all(Transport& transport, std::vector<HttpRequest> requests) {
        std::vector<RequestId> order;
        for (HttpRequest& r : requests) {
            order.push_back(r.id);
            transport.submit(std::move(r));
        }

        std::vector<Completion> done;
        const MonoTime give_up = m_clock.now() + MonoTime{20'000};
        while (transport.in_flight() > 0 && m_clock.now() < give_up) {
            for (Completion& c : transport.wait(give_up)) {
                done.push_back(std::move(c));
            }
        }
        EXPECT_EQ(done.size(), order.size()) << "requests never completed";

        std::sort(done.begin(), done.end(), [&](const Completion& a, const Completion& b) {
            return std::find(order.begin(), order.end(), a.id) <
                   std::find(order.begin(), order.end(), b.id);
        });
        return done;
    }

    Completion run_one(Transport& transport, HttpRequest r) {
        std::vector<Completion> done = run_all(transport, {std::move(r)});
        return done.empty() ? Completion{} : std::move(done.front());
    }

    MonotonicClock m_clock;
    std::unique_ptr<LoopbackServer> m_server;
    RequestId m_last_id = 0;
};

class TransportTest : public LoopbackTest, public ::testing::WithParamInterface<TransportKind> {
  protected:
    std::unique_ptr<Transport> make(TlsOptions tls = {}) {
        return make_transport(GetParam(), m_clock, std::move(tls));
    }
};

// The response, or a test failure naming the error.
HttpResponse response_of(const Completion& completion) {
    if (const auto* error = std::get_if<TransportError>(&completion.outcome)) {
        ADD_FAILURE() << "request " << completion.id << " failed: " << to_string(*error);
        return HttpResponse{};
    }
    return std::get<HttpResponse>(completion.outcome);
}

std::optional<TransportError> error_of(const Completion& completion) {
    if (const auto* error = std::get_if<TransportError>(&completion.outcome)) {
        return *error;
    }
    return std::nullopt;
}

std::string connection_id(const HttpResponse& response) {
    return std::string(find_header(response.headers, "X-Connection-Id").value_or(""));
}

using HeaderList = std::vector<std::pair<std::string, std::string>>;

HeaderList header_list(const std::vector<HttpHeader>& headers) {
    HeaderList list;
    for (const HttpHeader& h : headers) {
        list.emplace_back(h.name, h.value);
    }
    return list;
}

// What /echo saw: the request's headers in order, and its body.
struct EchoedRequest {
    std::string method;
    std::string target;
    HeaderList headers;
    std::string body;
    std::string server_name;  // empty when the client sent no SNI
};

EchoedRequest echoed(const HttpResponse& response) {
    EchoedRequest seen;
    const boost::json::object json = boost::json::parse(body_view(response)).as_object();
    seen.method = json.at("method").as_string().c_str();
    seen.target = json.at("target").as_string().c_str();
    seen.body = json.at("body").as_string().c_str();
    if (const boost::json::value& name = json.at("server_name"); name.is_string()) {
        seen.server_name = name.as_string().c_str();
    }
    for (const boost::json::value& pair : json.at("headers").as_array()) {
        seen.headers.emplace_back(pair.as_array().at(0).as_string().c_str(),
                                  pair.as_array().at(1).as_string().c_str());
    }
    return seen;
}

// ---- What goes on the wire

TEST_P(TransportTest, GetCarriesExactlyHostAndTheRequestHeaders) {
    auto transport = make();
    HttpRequest r = request("/echo?x=1");
    r.headers = {{"X-aws-ec2-metadata-token", "secret-token", true}, {"X-Second", "two", false}};

    const HttpResponse& response = response_of(run_one(*transport, std::move(r)));

    ASSERT_EQ(response.status, 200);
    const EchoedRequest seen = echoed(response);
    EXPECT_EQ(seen.method, "GET");
    EXPECT_EQ(seen.target, "/echo?x=1");
    const HeaderList expected = {{"Host", "127.0.0.1:" + std::to_string(m_server->plain_port())},
                                 {"X-aws-ec2-metadata-token", "secret-token"},
                                 {"X-Second", "two"}};
    EXPECT_EQ(seen.headers, expected);
    EXPECT_EQ(seen.body, "");
}

TEST_P(TransportTest, PostCarriesItsBodyWithContentLengthAndNoExpect) {
    auto transport = make();
    HttpRequest r = request("/echo");
    r.method = "POST";
    r.headers = {{"Content-Type", "application/x-amz-json-1.1", false},
                 {"X-Amz-Target", "TrentService.GenerateRandom", false}};
    // Past the size at which libcurl would otherwise add "Expect: 100-continue".
    r.body = std::string(2000, 'b');

    const HttpResponse& response = response_of(run_one(*transport, std::move(r)));

    ASSERT_EQ(response.status, 200);
    const EchoedRequest seen = echoed(response);
    EXPECT_EQ(seen.method, "POST");
    const HeaderList expected = {{"Host", "127.0.0.1:" + std::to_string(m_server->plain_port())},
                                 {"Content-Type", "application/x-amz-json-1.1"},
                                 {"X-Amz-Target", "TrentService.GenerateRandom"},
                                 {"Content-Length", "2000"}};
    EXPECT_EQ(seen.headers, expected);
    EXPECT_EQ(seen.body, std::string(2000, 'b'));
}

TEST_P(TransportTest, PutWithoutBodySendsContentLengthZero) {
    auto transport = make();
    HttpRequest r = request("/echo");
    r.method = "PUT";
    r.headers = {{"X-aws-ec2-metadata-token-ttl-seconds", "21600", false}};

    const HttpResponse& response = response_of(run_one(*transport, std::move(r)));

    const EchoedRequest seen = echoed(response);
    EXPECT_EQ(seen.method, "PUT");
    const HeaderList expected = {{"Host", "127.0.0.1:" + std::to_string(m_server->plain_port())},
                                 {"X-aws-ec2-metadata-token-ttl-seconds", "21600"},
                                 {"Content-Length", "0"}};
    EXPECT_EQ(seen.headers, expected);
}

TEST_P(TransportTest, ProxyVariablesAreIgnored) {
    RefusingPort proxy;
    const std::string proxy_url = "http://127.0.0.1:" + std::to_string(proxy.port());
    for (const char* name : {"http_proxy", "HTTP_PROXY", "https_proxy", "all_proxy"}) {
        ::setenv(name, proxy_url.c_str(), 1);
    }
    auto transport = make();

    const Completion done = run_one(*transport, request("/echo"));

    EXPECT_EQ(response_of(done).status, 200) << "the request went to the proxy";
}

// ---- What comes back

TEST_P(TransportTest, ResponseHeadersArriveAsReceivedInOrder) {
    auto transport = make();

    const HttpResponse& response = response_of(run_one(*transport, request("/headers")));

    EXPECT_EQ(response.status, 200);
    const HeaderList expected = {
        {"X-First", "one"},     {"x-MiXeD-case", "Two"},      {"X-Dup", "a"},
        {"X-Dup", "b"},         {"X-Padded", "spaced value"}, {"X-Empty", ""},
        {"Content-Length", "2"}};
    EXPECT_EQ(header_list(response.headers), expected);
    EXPECT_EQ(body_text(response), "ok");
}

TEST_P(TransportTest, InterimResponseIsSkipped) {
    auto transport = make();

    const HttpResponse& response = response_of(run_one(*transport, request("/interim")));

    EXPECT_EQ(response.status, 200);
    EXPECT_EQ(header_list(response.headers), (HeaderList{{"Content-Length", "5"}}));
    EXPECT_EQ(body_text(response), "final");
}

TEST_P(TransportTest, RedirectComesBackAsTheResponse) {
    auto transport = make();

    const HttpResponse& response = response_of(run_one(*transport, request("/redirect")));

    EXPECT_EQ(response.status, 302);
    EXPECT_EQ(find_header(response.headers, "location"), "/echo");
    EXPECT_EQ(body_text(response), "moved");
}

TEST_P(TransportTest, ErrorStatusIsAResponse) {
    auto transport = make();

    const HttpResponse& response = response_of(run_one(*transport, request("/status?code=503")));

    EXPECT_EQ(response.status, 503);
}

TEST_P(TransportTest, BodiesOfEveryFramingArriveWhole) {
    auto transport = make();

    for (const char* mode : {"length", "chunked", "close"}) {
        SCOPED_TRACE(mode);
        const HttpResponse& response =
            response_of(run_one(*transport, request(std::string("/bytes?n=1234&mode=") + mode)));

        EXPECT_EQ(response.status, 200);
        EXPECT_EQ(body_text(response), expected_pattern(1234));
    }
}

TEST_P(TransportTest, BodyAtTheCapIsAcceptedAndOneMoreByteIsNot) {
    auto transport = make();

    for (const char* mode : {"length", "chunked", "close"}) {
        SCOPED_TRACE(mode);
        HttpRequest at_cap = request(std::string("/bytes?n=1000&mode=") + mode);
        at_cap.max_response_bytes = 1000;
        HttpRequest over_cap = request(std::string("/bytes?n=1001&mode=") + mode);
        over_cap.max_response_bytes = 1000;

        const Completion accepted = run_one(*transport, std::move(at_cap));
        const Completion refused = run_one(*transport, std::move(over_cap));

        EXPECT_EQ(response_of(accepted).body.size(), 1000u);
        EXPECT_EQ(error_of(refused), TransportError::response_too_large);
    }
}

TEST_P(TransportTest, OversizedHeaderSectionIsMalformed) {
    auto transport = make();

    const Completion done = run_one(*transport, request("/huge-headers"));

    EXPECT_EQ(error_of(done), TransportError::malformed_response);
}

// ---- Concurrency and connection reuse

TEST_P(TransportTest, RequestsInFlightTogetherAreServedAtOnce) {
    auto transport = make();
    std::vector<HttpRequest> batch;
    for (int i = 0; i < 4; ++i) {
        // The server answers none of them until all four are there together.
        batch.push_back(request("/barrier?key=together&n=4"));
    }

    const std::vector<Completion> done = run_all(*transport, std::move(batch));

    std::set<std::string> connections;
    for (const Completion& c : done) {
        EXPECT_EQ(response_of(c).status, 200) << "the requests were not in flight at once";
        connections.insert(connection_id(response_of(c)));
    }
    EXPECT_EQ(connections.size(), 4u);
}

TEST_P(TransportTest, SequentialRequestsShareOneConnection) {
    auto transport = make();

    std::vector<Completion> done;
    for (int i = 0; i < 3; ++i) {
        done.push_back(run_one(*transport, request("/echo")));
    }

    const std::string first = connection_id(response_of(done[0]));
    EXPECT_FALSE(first.empty());
    EXPECT_FALSE(done[0].reused_connection);
    for (std::size_t i = 1; i < done.size(); ++i) {
        EXPECT_EQ(connection_id(response_of(done[i])), first);
        EXPECT_TRUE(done[i].reused_connection);
        EXPECT_EQ(done[i].connection, done[0].connection);
    }
}

TEST_P(TransportTest, NoMoreConnectionsThanRequestsInFlight) {
    auto transport = make();

    std::set<std::string> connections;
    for (const char* round : {"one", "two", "three"}) {
        std::vector<HttpRequest> batch;
        for (int i = 0; i < 3; ++i) {
            batch.push_back(request(std::string("/barrier?n=3&key=") + round));
        }
        for (const Completion& c : run_all(*transport, std::move(batch))) {
            EXPECT_EQ(response_of(c).status, 200);
            connections.insert(connection_id(response_of(c)));
        }
    }

    EXPECT_EQ(connections.size(), 3u);
    const HttpResponse& stats = response_of(run_one(*transport, request("/stats")));
    const boost::json::object counts = boost::json::parse(body_view(stats)).as_object();
    EXPECT_EQ(counts.at("connections").as_int64(), 3);
    EXPECT_EQ(counts.at("requests").as_int64(), 10);
}

TEST_P(TransportTest, ConnectionTheServerClosedIsReplacedNotReported) {
    auto transport = make();

    const Completion first = run_one(*transport, request("/close-after"));
    const Completion second = run_one(*transport, request("/echo"));

    EXPECT_EQ(response_of(first).status, 200);
    EXPECT_EQ(response_of(second).status, 200);
    EXPECT_NE(connection_id(response_of(second)), connection_id(response_of(first)));
}

TEST_P(TransportTest, RequestDroppedOnAReusedConnectionIsSentOnceMore) {
    auto transport = make();

    const Completion opened = run_one(*transport, request("/echo"));
    const Completion dropped = run_one(*transport, request("/drop"));

    EXPECT_EQ(response_of(opened).status, 200);
    EXPECT_EQ(error_of(dropped), TransportError::connection_reset);
    // echo, drop on the reused connection, drop again on a fresh one, stats.
    const HttpResponse stats = response_of(run_one(*transport, request("/stats")));
    EXPECT_EQ(boost::json::parse(body_view(stats)).at("requests").as_int64(), 4);
}

TEST_P(TransportTest, ResponseCutShortOnAReusedConnectionIsNotSentAgain) {
    auto transport = make();

    const Completion opened = run_one(*transport, request("/echo"));
    const Completion truncated = run_one(*transport, request("/truncated"));

    EXPECT_EQ(response_of(opened).status, 200);
    EXPECT_EQ(error_of(truncated), TransportError::malformed_response);
    // echo, truncated once, stats.
    const HttpResponse stats = response_of(run_one(*transport, request("/stats")));
    EXPECT_EQ(boost::json::parse(body_view(stats)).at("requests").as_int64(), 3);
}

// ---- Deadlines and failures

TEST_P(TransportTest, WaitWithNothingInFlightSleepsUntilTheGivenTime) {
    auto transport = make();
    const MonoTime until = m_clock.now() + MonoTime{200};

    const std::vector<Completion> done = transport->wait(until);

    EXPECT_TRUE(done.empty());
    EXPECT_GE(m_clock.now(), until);
    EXPECT_EQ(transport->in_flight(), 0u);
}

TEST_P(TransportTest, SilentServerTimesOutAtTheDeadlineNotBefore) {
    auto transport = make();
    HttpRequest r = request("/hang");
    r.deadline = m_clock.now() + MonoTime{400};
    const MonoTime deadline = r.deadline;

    const Completion done = run_one(*transport, std::move(r));
    const MonoTime finished = m_clock.now();

    EXPECT_EQ(error_of(done), TransportError::timed_out);
    EXPECT_GE(finished, deadline);
    EXPECT_LT(finished, deadline + MonoTime{1500});
}

TEST_P(TransportTest, PassedDeadlineTimesOutWithoutConnecting) {
    auto transport = make();
    HttpRequest r = request("/echo");
    r.deadline = m_clock.now() - MonoTime{1};

    const Completion done = run_one(*transport, std::move(r));

    EXPECT_EQ(error_of(done), TransportError::timed_out);
    const HttpResponse& stats = response_of(run_one(*transport, request("/stats")));
    EXPECT_EQ(boost::json::parse(body_view(stats)).at("requests").as_int64(), 1);
}

TEST_P(TransportTest, ClosedPortIsConnectionRefused) {
    RefusingPort closed;
    auto transport = make();

    const Completion done = run_one(*transport, request("/echo", Scheme::http, closed.port()));

    EXPECT_EQ(error_of(done), TransportError::connection_refused);
}

TEST_P(TransportTest, NonHttpReplyIsMalformed) {
    auto transport = make();

    for (const char* target : {"/malformed", "/truncated", "/bad-chunk"}) {
        SCOPED_TRACE(target);
        EXPECT_EQ(error_of(run_one(*transport, request(target))),
                  TransportError::malformed_response);
    }
}

TEST_P(TransportTest, ConnectionClosedWithoutReplyIsReset) {
    auto transport = make();

    for (const char* target : {"/drop", "/reset"}) {
        SCOPED_TRACE(target);
        EXPECT_EQ(error_of(run_one(*transport, request(target))), TransportError::connection_reset);
    }
}

// ---- TLS

TEST_P(TransportTest, HttpsToATrustedCertificateForTheHostSucceeds) {
    auto transport = make(test_ca());

    for (const char* host : {"127.0.0.1", "localhost"}) {
        SCOPED_TRACE(host);
        const HttpResponse& response =
            response_of(run_one(*transport, request("/echo", Scheme::https, 0, host)));

        EXPECT_EQ(response.status, 200);
        const EchoedRequest seen = echoed(response);
        EXPECT_EQ(seen.headers.front().second,
                  std::string(host) + ":" + std::to_string(m_server->tls_port()));
        // RFC 6066 3: a name is sent as SNI, an IP literal is not.
        EXPECT_EQ(seen.server_name, host == std::string_view("localhost") ? "localhost" : "");
    }
}

TEST_P(TransportTest, SequentialHttpsRequestsShareOneTlsConnection) {
    auto transport = make(test_ca());

    std::set<std::string> connections;
    for (int i = 0; i < 3; ++i) {
        const Completion done = run_one(*transport, request("/echo", Scheme::https));
        connections.insert(connection_id(response_of(done)));
    }

    EXPECT_EQ(connections.size(), 1u);
}

TEST_P(TransportTest, CertificateForAnotherHostIsRefused) {
    auto transport = make(test_ca());

    const Completion done =
        run_one(*transport, request("/echo", Scheme::https, m_server->wrong_host_port()));

    EXPECT_EQ(error_of(done), TransportError::tls_failure);
}

TEST_P(TransportTest, CertificateFromAnUntrustedCaIsRefused) {
    // The system trust store does not hold the test CA, and the variables some TLS
    // libraries read do not change what ec2seed trusts.
    for (const char* name : {"SSL_CERT_FILE", "CURL_CA_BUNDLE", "AWS_CA_BUNDLE"}) {
        ::setenv(name, m_server->ca_bundle().c_str(), 1);
    }
    ::setenv("SSL_CERT_DIR", std::filesystem::path(m_server->ca_bundle()).parent_path().c_str(), 1);
    auto transport = make();

    const Completion done = run_one(*transport, request("/echo", Scheme::https));

    EXPECT_EQ(error_of(done), TransportError::tls_failure);
}

TEST_P(TransportTest, UnreadableCaBundleFailsEveryHttpsRequest) {
    auto transport = make(TlsOptions{m_server->ca_bundle() + ".missing"});

    const Completion done = run_one(*transport, request("/echo", Scheme::https));

    EXPECT_EQ(error_of(done), TransportError::tls_failure);
}

TEST_P(TransportTest, PlainServerBehindHttpsIsATlsFailure) {
    auto transport = make(test_ca());

    const Completion done =
        run_one(*transport, request("/echo", Scheme::https, m_server->plain_port()));

    EXPECT_EQ(error_of(done), TransportError::tls_failure);
}

INSTANTIATE_TEST_SUITE_P(Transports, TransportTest, ::testing::ValuesIn(all_transport_kinds()),
                         transport_test_name);

// ---- Both transports, one exchange: the core must not be able to tell them apart.

class SameResponseTest : public LoopbackTest, public ::testing::WithParamInterface<const char*> {};

TEST_P(SameResponseTest, BothTransportsHandOverTheSameResponse) {
    if (all_transport_kinds().size() < 2) {
        GTEST_SKIP() << "built without the curl transport";
    }

    const std::string target = GetParam();
    std::vector<HttpResponse> responses;
    for (const TransportKind kind : all_transport_kinds()) {
        auto transport = make_transport(kind, m_clock, test_ca());
        HttpRequest r = request(target, Scheme::https);
        responses.push_back(response_of(run_one(*transport, std::move(r))));
    }

    // The connection number is the server's, and differs by construction.
    for (HttpResponse& response : responses) {
        std::erase_if(response.headers,
                      [](const HttpHeader& h) { return h.name == "X-Connection-Id"; });
    }
    EXPECT_EQ(responses[0].status, responses[1].status);
    EXPECT_EQ(header_list(responses[0].headers), header_list(responses[1].headers));
    EXPECT_EQ(responses[0].body, responses[1].body);
}

INSTANTIATE_TEST_SUITE_P(Exchanges, SameResponseTest,
                         ::testing::Values("/headers", "/interim", "/redirect", "/status?code=404",
                                           "/bytes?n=3000&mode=length",
                                           "/bytes?n=3000&mode=chunked"),
                         [](const ::testing::TestParamInfo<const char*>& param) {
                             std::string name;
                             for (const char c : std::string_view(param.param)) {
                                 name.push_back(
                                     std::isalnum(static_cast<unsigned char>(c)) != 0 ? c : '_');
                             }
                             return name;
                         });

}  // namespace
}  // namespace ec2seed::test
