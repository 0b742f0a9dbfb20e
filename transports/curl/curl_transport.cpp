// The libcurl transport: one multi handle drives every request of the run at once.
//
// Connections. The multi handle and its connection cache live as long as the
// transport, so IMDS requests reuse their keep-alive connections and every KMS round
// rides the one TLS connection opened for the first. CURLMOPT_MAX_HOST_CONNECTIONS
// stays unset: libcurl opens a connection only when no idle one to that host is free,
// so there are never more connections to a host than requests in flight at once, and
// a cap would only queue requests the core wants answered together. HTTP/1.1 is
// forced (no multiplexing, so CURLOPT_PIPEWAIT does not apply) so that header names
// reach the core as the server wrote them, as the native transport delivers them.
//
// TLS initialisation, as observed on Debian 12 (libcurl 7.88 with OpenSSL 3.0):
// - curl_global_init initialises OpenSSL whatever its flags (CURL_GLOBAL_SSL has been
//   ignored since libcurl 7.57), and so does curl_multi_init, which makes an easy
//   handle of its own. OpenSSL then reads openssl.cnf but does not seed its DRBG; its
//   first getrandom call comes in the first TLS handshake. A plain http request pulls
//   no randomness. tests/transports checks this with a seccomp trap on getrandom.
// - Debian's libcurl4 also links GnuTLS (through librtmp and libldap), whose library
//   constructor probes getrandom(GRND_NONBLOCK) for one byte before main() runs. Only
//   GNUTLS_NO_IMPLICIT_INIT=1 in the environment of the process stops it; the systemd
//   unit is to set it. TODO(a libcurl built without librtmp and ldap): drop that need.
//
// Trust store. Without --ca-bundle libcurl uses the bundle and directory built into it
// (on Debian /etc/ssl/certs/ca-certificates.crt and /etc/ssl/certs). libcurl does not
// read CURL_CA_BUNDLE, and since it always names a CA file and path OpenSSL never
// falls back to SSL_CERT_FILE or SSL_CERT_DIR: the environment does not change what
// ec2seed trusts, as with the native transport. With --ca-bundle only that file is
// trusted (CURLOPT_CAPATH is cleared).
#include <curl/curl.h>
#include <malloc.h>

#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <deque>
#include <limits>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <utility>

#include <botan/mem_ops.h>

#include "ec2seed/transport/http_wire.h"
#include "ec2seed/transport/transport.h"

namespace ec2seed::transport {

namespace {

// libcurl's setopt is variadic: these pin each option's argument type.
void set_long(CURL* easy, CURLoption option, long value) {
    curl_easy_setopt(easy, option, value);
}

void set_text(CURL* easy, CURLoption option, const char* value) {
    curl_easy_setopt(easy, option, value);
}

void set_pointer(CURL* easy, CURLoption option, void* value) {
    curl_easy_setopt(easy, option, value);
}

long to_curl_ms(MonoTime duration) {
    constexpr auto most = static_cast<MonoTime::rep>(std::numeric_limits<long>::max());
    return static_cast<long>(std::min(duration.count(), most));
}

// One request on its way: the request (whose body libcurl reads in place), the
// response being collected, and why the transfer was stopped, if we stopped it.
struct CurlExchange {
    HttpRequest request;
    CURL* easy = nullptr;
    curl_slist* header_list = nullptr;
    HttpResponse response;
    std::size_t header_bytes = 0;
    std::optional<TransportError> stopped_because;

    ~CurlExchange() {
        curl_slist_free_all(header_list);
        if (easy != nullptr) {
            curl_easy_cleanup(easy);
        }
    }
};

// libcurl hands over each header line as received, status lines included (one per
// 1xx interim response, then the final one).
std::size_t on_header_line(char* data, std::size_t size, std::size_t count, void* context) {
    auto& exchange = *static_cast<CurlExchange*>(context);
    const std::size_t length = size * count;

    exchange.header_bytes += length;
    if (exchange.header_bytes > max_header_section_bytes) {
        exchange.stopped_because = TransportError::malformed_response;
        return 0;
    }

    std::string_view line(data, length);
    while (!line.empty() && (line.back() == '\n' || line.back() == '\r')) {
        line.remove_suffix(1);
    }
    if (line.empty()) {
        return length;
    }

    HttpResponse& response = exchange.response;
    if (line.rfind("HTTP/", 0) == 0) {
        // A new status line: whatever came before belonged to an interim response.
        response.headers.clear();
        response.status = 0;
        const std::size_t space = line.find(' ');
        if (space != std::string_view::npos && line.size() >= space + 4) {
            const std::string_view code = line.substr(space + 1, 3);
            int status = 0;
            for (const char digit : code) {
                status = status * 10 + (digit - '0');
            }
            response.status = status;
        }
        return length;
    }

    if (line.front() == ' ' || line.front() == '\t') {
        // RFC 9112 5.2: an obsolete line folding continues the previous field value.
        if (!response.headers.empty()) {
            response.headers.back().value += ' ';
            response.headers.back().value += trim_field_value(line);
        }
        return length;
    }

    const std::size_t colon = line.find(':');
    if (colon == std::string_view::npos) {
        return length;
    }
    response.headers.push_back(HttpHeader{std::string(line.substr(0, colon)),
                                          std::string(trim_field_value(line.substr(colon + 1))),
                                          false});
    return length;
}

std::size_t on_body_bytes(char* data, std::size_t size, std::size_t count, void* context) {
    auto& exchange = *static_cast<CurlExchange*>(context);
    const std::size_t length = size * count;
    SecureBytes& body = exchange.response.body;

    // Returning less than was offered aborts the transfer (CURLE_WRITE_ERROR).
    if (length > exchange.request.max_response_bytes - body.size()) {
        exchange.stopped_because = TransportError::response_too_large;
        return 0;
    }

    const auto* bytes = reinterpret_cast<const std::uint8_t*>(data);
    body.insert(body.end(), bytes, bytes + length);
    return length;
}

bool is_tls_error(CURLcode code) {
    switch (code) {
        case CURLE_SSL_CONNECT_ERROR:
        case CURLE_SSL_ENGINE_NOTFOUND:
        case CURLE_SSL_ENGINE_SETFAILED:
        case CURLE_SSL_CERTPROBLEM:
        case CURLE_SSL_CIPHER:
        case CURLE_PEER_FAILED_VERIFICATION:
        case CURLE_SSL_ENGINE_INITFAILED:
        case CURLE_SSL_CACERT_BADFILE:
        case CURLE_SSL_SHUTDOWN_FAILED:
        case CURLE_SSL_CRL_BADFILE:
        case CURLE_SSL_ISSUER_ERROR:
        case CURLE_SSL_PINNEDPUBKEYNOTMATCH:
        case CURLE_SSL_INVALIDCERTSTATUS:
        case CURLE_SSL_CLIENTCERT:
            return true;
        default:
            return false;
    }
}

TransportError to_transport_error(const CurlExchange& exchange, CURLcode code) {
    if (exchange.stopped_because.has_value()) {
        return *exchange.stopped_because;
    }
    if (is_tls_error(code)) {
        return TransportError::tls_failure;
    }

    switch (code) {
        case CURLE_COULDNT_CONNECT:
            return TransportError::connection_refused;
        case CURLE_OPERATION_TIMEDOUT:
            return TransportError::timed_out;
        case CURLE_COULDNT_RESOLVE_HOST:
            return TransportError::resolve_failed;
        case CURLE_FILESIZE_EXCEEDED:
            return TransportError::response_too_large;
        case CURLE_GOT_NOTHING:
        case CURLE_SEND_ERROR:
            return TransportError::connection_reset;
        case CURLE_RECV_ERROR: {
            // A socket error carries an errno; a bad chunk header has none.
            long os_error = 0;
            curl_easy_getinfo(exchange.easy, CURLINFO_OS_ERRNO, &os_error);
            return os_error != 0 ? TransportError::connection_reset
                                 : TransportError::malformed_response;
        }
        case CURLE_WEIRD_SERVER_REPLY:
        case CURLE_PARTIAL_FILE:
        case CURLE_UNSUPPORTED_PROTOCOL:
        case CURLE_BAD_CONTENT_ENCODING:
            return TransportError::malformed_response;
        default:
            return TransportError::other;
    }
}

// libcurl's own copies of what it sends and receives (the IMDS token and session
// token in its header buffers, role credentials and KMS plaintext in its receive
// buffer) are wiped before their memory goes back to the allocator.
// TODO(an SSL_CTX hook setting SSL_OP_CLEANSE_PLAINTEXT): OpenSSL's record buffers
// are freed unwiped.
void wipe_and_free(void* memory) {
    if (memory != nullptr) {
        Botan::secure_scrub_memory(memory, malloc_usable_size(memory));
        std::free(memory);
    }
}

void* allocate(std::size_t size) {
    return std::malloc(size);
}

void* allocate_zeroed(std::size_t count, std::size_t size) {
    return std::calloc(count, size);
}

// Moves to a new block instead of growing in place, so the old one is wiped.
void* reallocate(void* memory, std::size_t size) {
    if (memory == nullptr) {
        return std::malloc(size);
    }

    void* const moved = std::malloc(size == 0 ? 1 : size);
    if (moved == nullptr) {
        return nullptr;
    }
    std::memcpy(moved, memory, std::min(size, malloc_usable_size(memory)));
    wipe_and_free(memory);
    return moved;
}

char* duplicate(const char* text) {
    const std::size_t size = std::strlen(text) + 1;
    auto* const copy = static_cast<char*>(std::malloc(size));
    if (copy != nullptr) {
        std::memcpy(copy, text, size);
    }
    return copy;
}

// curl_global_init once per process; never cleaned up, as the process is short-lived
// and another transport may be made later in it.
bool curl_ready() {
    static std::once_flag once;
    static bool ready = false;
    std::call_once(once, [] {
        ready = curl_global_init_mem(CURL_GLOBAL_DEFAULT, &allocate, &wipe_and_free, &reallocate,
                                     &duplicate, &allocate_zeroed) == CURLE_OK;
    });
    return ready;
}

class CurlTransport final : public Transport {
  public:
    CurlTransport(const MonotonicClock& clock, TlsOptions tls)
        : m_clock(clock), m_tls(std::move(tls)) {
        if (curl_ready()) {
            m_multi = curl_multi_init();
        }
        if (m_multi != nullptr) {
            curl_multi_setopt(m_multi, CURLMOPT_PIPELINING, CURLPIPE_NOTHING);
            curl_multi_setopt(m_multi, CURLMOPT_MAXCONNECTS, 32L);
        }
    }

    ~CurlTransport() override {
        for (auto& [easy, exchange] : m_exchanges) {
            curl_multi_remove_handle(m_multi, easy);
        }
        m_exchanges.clear();
        if (m_multi != nullptr) {
            curl_multi_cleanup(m_multi);
        }
    }

    CurlTransport(const CurlTransport&) = delete;
    CurlTransport& operator=(const CurlTransport&) = delete;

    void submit(HttpRequest request) override {
        const RequestId id = request.id;
        const MonoTime left = time_left(request.deadline, m_clock.now());

        if (left <= MonoTime{0}) {
            m_finished.push_back(Completion{id, TransportError::timed_out, 0, false});
            return;
        }

        auto exchange = std::make_unique<CurlExchange>();
        exchange->request = std::move(request);
        exchange->easy = m_multi != nullptr ? curl_easy_init() : nullptr;
        if (exchange->easy == nullptr) {
            m_finished.push_back(Completion{id, TransportError::other, 0, false});
            return;
        }

        configure(*exchange, left);
        CURL* const easy = exchange->easy;
        if (curl_multi_add_handle(m_multi, easy) != CURLM_OK) {
            m_finished.push_back(Completion{id, TransportError::other, 0, false});
            return;
        }
        m_exchanges.emplace(easy, std::move(exchange));
    }

    std::vector<Completion> wait(MonoTime until) override {
        std::vector<Completion> done(std::make_move_iterator(m_finished.begin()),
                                     std::make_move_iterator(m_finished.end()));
        m_finished.clear();

        while (done.empty() && m_multi != nullptr) {
            int running = 0;
            curl_multi_perform(m_multi, &running);
            collect(done);
            if (!done.empty()) {
                break;
            }

            const MonoTime left = time_left(until, m_clock.now());
            if (left <= MonoTime{0}) {
                break;
            }
            // libcurl shortens the wait to its own next timer (a transfer's timeout).
            const auto wait_ms = static_cast<int>(std::min<MonoTime::rep>(left.count(), 60'000));
            curl_multi_poll(m_multi, nullptr, 0, wait_ms, nullptr);
        }
        return done;
    }

    std::size_t in_flight() const override { return m_exchanges.size() + m_finished.size(); }

    std::string_view name() const override { return "curl"; }

  private:
    void configure(CurlExchange& exchange, MonoTime left) {
        CURL* const easy = exchange.easy;
        const HttpRequest& request = exchange.request;

        const std::string target = request.target.empty() ? "/" : request.target;
        set_text(easy, CURLOPT_URL, (to_string(request.endpoint) + target).c_str());
        // The target goes out as the core wrote it: no dot-segment clean-up.
        set_long(easy, CURLOPT_PATH_AS_IS, 1L);
        set_text(easy, CURLOPT_PROTOCOLS_STR, "http,https");
        set_long(easy, CURLOPT_HTTP_VERSION, CURL_HTTP_VERSION_1_1);
        set_long(easy, CURLOPT_NOSIGNAL, 1L);

        // A metadata agent never sends IMDS traffic through an http_proxy from the
        // environment, and a 3xx is an answer for the core to judge, not to follow.
        set_text(easy, CURLOPT_PROXY, "");
        set_text(easy, CURLOPT_NOPROXY, "*");
        set_long(easy, CURLOPT_FOLLOWLOCATION, 0L);

        // libcurl measures both from the moment the transfer starts, just after now:
        // the transfer ends at the request's deadline, never before it.
        set_long(easy, CURLOPT_TIMEOUT_MS, to_curl_ms(left));
        set_long(easy, CURLOPT_CONNECTTIMEOUT_MS, to_curl_ms(left));

        set_long(easy, CURLOPT_SSL_VERIFYPEER, 1L);
        set_long(easy, CURLOPT_SSL_VERIFYHOST, 2L);
        set_long(easy, CURLOPT_SSLVERSION, CURL_SSLVERSION_TLSv1_2);
        if (m_tls.ca_bundle.has_value()) {
            set_text(easy, CURLOPT_CAINFO, m_tls.ca_bundle->c_str());
            set_text(easy, CURLOPT_CAPATH, nullptr);
        }

        configure_method(exchange);

        curl_easy_setopt(easy, CURLOPT_HEADERFUNCTION, &on_header_line);
        set_pointer(easy, CURLOPT_HEADERDATA, &exchange);
        curl_easy_setopt(easy, CURLOPT_WRITEFUNCTION, &on_body_bytes);
        set_pointer(easy, CURLOPT_WRITEDATA, &exchange);
        if (request.max_response_bytes > 0) {
            // Stops before the first body byte when Content-Length says too much.
            curl_easy_setopt(easy, CURLOPT_MAXFILESIZE_LARGE,
                             static_cast<curl_off_t>(request.max_response_bytes));
        }
    }

    // The method, the body and exactly the request's headers: libcurl's own Accept,
    // Expect and form Content-Type are switched off ("Name:" removes a header).
    void configure_method(CurlExchange& exchange) {
        CURL* const easy = exchange.easy;
        const HttpRequest& request = exchange.request;

        if (request.method == "GET") {
            set_long(easy, CURLOPT_HTTPGET, 1L);
        } else {
            set_text(easy, CURLOPT_CUSTOMREQUEST, request.method.c_str());
        }
        if (sends_content_length(request)) {
            curl_easy_setopt(easy, CURLOPT_POSTFIELDSIZE_LARGE,
                             static_cast<curl_off_t>(request.body.size()));
            set_text(easy, CURLOPT_POSTFIELDS, request.body.c_str());
        }

        curl_slist* list = nullptr;
        for (const HttpHeader& header : request.headers) {
            // "Name;" is how libcurl spells a header sent with an empty value.
            const std::string line =
                header.value.empty() ? header.name + ";" : header.name + ": " + header.value;
            list = curl_slist_append(list, line.c_str());
        }
        for (const char* name : {"Accept", "Expect", "Content-Type"}) {
            if (!has_header(request, name)) {
                list = curl_slist_append(list, (std::string(name) + ":").c_str());
            }
        }
        exchange.header_list = list;
        set_pointer(easy, CURLOPT_HTTPHEADER, list);
    }

    void collect(std::vector<Completion>& done) {
        int left_in_queue = 0;
        while (CURLMsg* message = curl_multi_info_read(m_multi, &left_in_queue)) {
            if (message->msg != CURLMSG_DONE) {
                continue;
            }

            CURL* const easy = message->easy_handle;
            const CURLcode code = message->data.result;
            const auto found = m_exchanges.find(easy);
            if (found == m_exchanges.end()) {
                continue;
            }

            CurlExchange& exchange = *found->second;
            Completion completion;
            completion.id = exchange.request.id;
            label_connection(easy, completion);
            if (code == CURLE_OK) {
                completion.outcome = std::move(exchange.response);
            } else {
                completion.outcome = to_transport_error(exchange, code);
            }

            curl_multi_remove_handle(m_multi, easy);
            m_exchanges.erase(found);
            done.push_back(std::move(completion));
        }
    }

    // Numbers the connections for -v logs: libcurl 7.88 has no connection id, but a
    // connection's local port is unique while it is open.
    void label_connection(CURL* easy, Completion& completion) {
        long new_connections = 0;
        long local_port = 0;
        curl_easy_getinfo(easy, CURLINFO_NUM_CONNECTS, &new_connections);
        curl_easy_getinfo(easy, CURLINFO_LOCAL_PORT, &local_port);
        if (local_port == 0) {
            return;
        }

        completion.reused_connection = new_connections == 0;
        if (!completion.reused_connection || m_connection_by_port.count(local_port) == 0) {
            m_connection_by_port[local_port] = ++m_connections_opened;
        }
        completion.connection = m_connection_by_port[local_port];
    }

    const MonotonicClock& m_clock;
    const TlsOptions m_tls;
    CURLM* m_multi = nullptr;
    std::map<CURL*, std::unique_ptr<CurlExchange>> m_exchanges;
    std::deque<Completion> m_finished;
    std::map<long, std::uint64_t> m_connection_by_port;
    std::uint64_t m_connections_opened = 0;
};

}  // namespace

std::unique_ptr<Transport> make_curl_transport(const MonotonicClock& clock, TlsOptions tls) {
    return std::make_unique<CurlTransport>(clock, std::move(tls));
}

}  // namespace ec2seed::transport
