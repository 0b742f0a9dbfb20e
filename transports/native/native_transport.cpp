// The native transport: non-blocking POSIX sockets driven by poll(), llhttp for the
// responses, Botan for TLS.
//
// Each request gets a connection of its own while it is in flight: an idle keep-alive
// connection to its endpoint when there is one, a new one otherwise. So there are
// never more connections to an endpoint than requests in flight at once, and
// sequential requests (the KMS rounds) ride one connection. A connection carries one
// request at a time (no pipelining); when its response ends and the server keeps it
// open it waits in the idle pool.
//
// A server may close an idle connection just as a request goes out on it. When a
// reused connection fails before any byte of the response arrived, the request is
// sent once more on a fresh connection; once a response byte has arrived it never is.
//
// Names are resolved with getaddrinfo, which blocks: IMDS and the tests use IP
// literals, which resolve without a lookup; only a KMS host name waits on DNS, once.
// TODO(a resolver thread or c-ares): submit() then never waits on DNS.
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdint>
#include <deque>
#include <list>
#include <memory>
#include <string>
#include <utility>
#include <variant>
#include <vector>

#include <botan/mem_ops.h>
#include <botan/secmem.h>

#include "ec2seed/transport/http_wire.h"
#include "ec2seed/transport/transport.h"
#include "response_parser.h"
#include "tls_channel.h"

namespace ec2seed::transport {

namespace {

using WireBytes = Botan::secure_vector<char>;

// Idle keep-alive connections kept open at most; the run needs a handful.
constexpr std::size_t max_idle_connections = 16;

void append(WireBytes& buffer, std::string_view text) {
    buffer.insert(buffer.end(), text.begin(), text.end());
}

// RFC 9112 3 and 5: request line, Host first (RFC 9110 7.2), then the request's own
// headers in order, then Content-Length; no header of the transport's own besides.
WireBytes serialise(const HttpRequest& request) {
    WireBytes wire;

    append(wire, request.method);
    append(wire, " ");
    append(wire, request.target.empty() ? "/" : request.target);
    append(wire, " HTTP/1.1\r\n");

    if (!has_header(request, "Host")) {
        append(wire, "Host: ");
        append(wire, host_header(request.endpoint));
        append(wire, "\r\n");
    }
    for (const HttpHeader& header : request.headers) {
        append(wire, header.name);
        append(wire, header.value.empty() ? ":" : ": ");
        append(wire, header.value);
        append(wire, "\r\n");
    }
    if (sends_content_length(request) && !has_header(request, "Content-Length")) {
        append(wire, "Content-Length: " + std::to_string(request.body.size()) + "\r\n");
    }

    append(wire, "\r\n");
    append(wire, request.body);
    return wire;
}

TransportError from_errno(int error) {
    switch (error) {
        case ECONNREFUSED:
        case ENETUNREACH:
        case EHOSTUNREACH:
        case ENETDOWN:
        case EADDRNOTAVAIL:
            return TransportError::connection_refused;
        case ETIMEDOUT:
            return TransportError::timed_out;
        case ECONNRESET:
        case ECONNABORTED:
        case EPIPE:
            return TransportError::connection_reset;
        default:
            return TransportError::other;
    }
}

struct SocketAddress {
    sockaddr_storage storage{};
    socklen_t length = 0;
    int family = AF_UNSPEC;
};

// The endpoint's addresses in getaddrinfo's order; none when the name does not
// resolve. Blocks on DNS for a host name (see the top of this file).
std::vector<SocketAddress> resolve(const Endpoint& endpoint) {
    addrinfo hints{};
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    hints.ai_protocol = IPPROTO_TCP;
    hints.ai_flags = AI_NUMERICSERV;

    addrinfo* found = nullptr;
    const std::string port = std::to_string(endpoint.port);
    std::vector<SocketAddress> addresses;
    if (getaddrinfo(endpoint.host.c_str(), port.c_str(), &hints, &found) != 0) {
        return addresses;
    }

    for (const addrinfo* entry = found; entry != nullptr; entry = entry->ai_next) {
        if (entry->ai_addrlen > sizeof(sockaddr_storage)) {
            continue;
        }
        SocketAddress address;
        std::copy_n(reinterpret_cast<const std::uint8_t*>(entry->ai_addr), entry->ai_addrlen,
                    reinterpret_cast<std::uint8_t*>(&address.storage));
        address.length = entry->ai_addrlen;
        address.family = entry->ai_family;
        addresses.push_back(address);
    }
    freeaddrinfo(found);
    return addresses;
}

struct Exchange {
    HttpRequest request;
    WireBytes wire;
    std::unique_ptr<ResponseParser> parser;
    bool on_reused_connection = false;
    bool retried = false;

    explicit Exchange(HttpRequest to_send)
        : request(std::move(to_send)),
          wire(serialise(request)),
          parser(std::make_unique<ResponseParser>(request.max_response_bytes)) {}
};

enum class Phase : std::uint8_t { connecting, handshaking, open };

struct Connection {
    std::uint64_t id = 0;
    Endpoint endpoint;
    int fd = -1;
    Phase phase = Phase::connecting;
    std::vector<SocketAddress> addresses;
    std::size_t next_address = 0;
    std::unique_ptr<TlsChannel> tls;
    WireBytes outbound;
    std::unique_ptr<Exchange> exchange;  // none while idle
    bool closed = false;

    Connection() = default;
    Connection(const Connection&) = delete;
    Connection& operator=(const Connection&) = delete;
    ~Connection() {
        if (fd >= 0) {
            ::close(fd);
        }
    }

    bool idle() const { return !closed && phase == Phase::open && exchange == nullptr; }
};

class NativeTransport final : public Transport {
  public:
    NativeTransport(const MonotonicClock& clock, TlsOptions tls)
        : m_clock(clock), m_tls_options(std::move(tls)) {}

    ~NativeTransport() override {
        // Polite TLS endings for the idle connections; nothing waits for them.
        for (const auto& connection : m_connections) {
            if (connection->idle() && connection->tls != nullptr &&
                connection->tls->handshake_done()) {
                connection->tls->close();
                move_ciphertext(*connection);
                flush(*connection);
            }
        }
    }

    NativeTransport(const NativeTransport&) = delete;
    NativeTransport& operator=(const NativeTransport&) = delete;

    void submit(HttpRequest request) override {
        if (m_clock.now() >= request.deadline) {
            finish(request.id, TransportError::timed_out, 0, false);
            return;
        }

        auto exchange = std::make_unique<Exchange>(std::move(request));
        for (const auto& connection : m_connections) {
            if (connection->idle() && connection->endpoint == exchange->request.endpoint) {
                exchange->on_reused_connection = true;
                connection->exchange = std::move(exchange);
                start_request(*connection);
                flush(*connection);
                sweep();
                return;
            }
        }

        open_connection(std::move(exchange));
        sweep();
    }

    std::vector<Completion> wait(MonoTime until) override {
        for (;;) {
            const MonoTime now = m_clock.now();
            expire(now);
            sweep();
            if (!m_finished.empty() || now >= until) {
                std::vector<Completion> done(std::make_move_iterator(m_finished.begin()),
                                             std::make_move_iterator(m_finished.end()));
                m_finished.clear();
                return done;
            }

            poll_once(next_wake_up(until) - now);
        }
    }

    std::size_t in_flight() const override {
        const auto busy = std::count_if(m_connections.begin(), m_connections.end(),
                                        [](const auto& c) { return c->exchange != nullptr; });
        return static_cast<std::size_t>(busy) + m_finished.size();
    }

    std::string_view name() const override { return "native"; }

  private:
    void finish(RequestId id, std::variant<HttpResponse, TransportError> outcome,
                std::uint64_t connection, bool reused) {
        m_finished.push_back(Completion{id, std::move(outcome), connection, reused});
    }

    // Opens a connection for the exchange; on failure the exchange completes.
    void open_connection(std::unique_ptr<Exchange> exchange) {
        std::vector<SocketAddress> addresses = resolve(exchange->request.endpoint);
        if (addresses.empty()) {
            finish(exchange->request.id, TransportError::resolve_failed, 0, false);
            return;
        }

        auto connection = std::make_unique<Connection>();
        connection->id = ++m_connections_opened;
        connection->endpoint = exchange->request.endpoint;
        connection->addresses = std::move(addresses);
        connection->exchange = std::move(exchange);
        Connection& opened = *connection;
        m_connections.push_back(std::move(connection));
        connect_next_address(opened, 0);
    }

    // Starts a non-blocking connect to the next address; fails the exchange with
    // last_error's meaning when none is left.
    void connect_next_address(Connection& connection, int last_error) {
        while (connection.next_address < connection.addresses.size()) {
            const SocketAddress& address = connection.addresses[connection.next_address++];
            const int fd =
                ::socket(address.family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, IPPROTO_TCP);
            if (fd < 0) {
                last_error = errno;
                continue;
            }

            const int on = 1;
            ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &on, sizeof on);
            if (::connect(fd, reinterpret_cast<const sockaddr*>(&address.storage),
                          address.length) == 0 ||
                errno == EINPROGRESS) {
                connection.fd = fd;
                connection.phase = Phase::connecting;
                return;
            }
            last_error = errno;
            ::close(fd);
        }

        fail(connection, from_errno(last_error));
    }

    void on_connected(Connection& connection) {
        if (connection.endpoint.scheme == Scheme::http) {
            connection.phase = Phase::open;
            start_request(connection);
            return;
        }

        // The first https connection is where TLS begins, never earlier.
        if (m_tls == nullptr) {
            m_tls = make_tls_context(m_tls_options);
        }
        connection.tls = std::make_unique<TlsChannel>(m_tls, connection.endpoint);
        connection.phase = Phase::handshaking;
        if (connection.tls->failed()) {
            fail(connection, TransportError::tls_failure);
            return;
        }
        move_ciphertext(connection);
    }

    // Puts the exchange's request on an open connection.
    void start_request(Connection& connection) {
        const WireBytes& wire = connection.exchange->wire;
        if (connection.tls == nullptr) {
            connection.outbound.insert(connection.outbound.end(), wire.begin(), wire.end());
            return;
        }

        if (!connection.tls->send(std::string_view(wire.data(), wire.size()))) {
            fail(connection, TransportError::tls_failure);
            return;
        }
        move_ciphertext(connection);
    }

    static void move_ciphertext(Connection& connection) {
        Botan::secure_vector<char>& ciphertext = connection.tls->ciphertext_out();
        connection.outbound.insert(connection.outbound.end(), ciphertext.begin(), ciphertext.end());
        ciphertext.clear();
    }

    void flush(Connection& connection) {
        while (!connection.closed && connection.fd >= 0 && connection.phase != Phase::connecting &&
               !connection.outbound.empty()) {
            const ssize_t sent = ::send(connection.fd, connection.outbound.data(),
                                        connection.outbound.size(), MSG_NOSIGNAL);
            if (sent > 0) {
                connection.outbound.erase(connection.outbound.begin(),
                                          connection.outbound.begin() + sent);
                continue;
            }
            if (sent < 0 && errno == EINTR) {
                continue;
            }
            if (sent < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
                return;
            }
            on_socket_error(connection, sent < 0 ? errno : EPIPE);
        }
    }

    void on_readable(Connection& connection) {
        char buffer[16 * 1024];

        while (!connection.closed) {
            const ssize_t received = ::recv(connection.fd, buffer, sizeof buffer, 0);
            if (received > 0) {
                on_bytes(connection, std::string_view(buffer, static_cast<std::size_t>(received)));
                continue;
            }
            if (received == 0) {
                on_end_of_stream(connection);
                break;
            }
            if (errno == EINTR) {
                continue;
            }
            if (errno != EAGAIN && errno != EWOULDBLOCK) {
                on_socket_error(connection, errno);
            }
            break;
        }

        // The buffer may have held an IMDS token or credentials.
        Botan::secure_scrub_memory(buffer, sizeof buffer);
    }

    void on_bytes(Connection& connection, std::string_view bytes) {
        if (connection.tls == nullptr) {
            deliver(connection, bytes);
            return;
        }

        TlsChannel& tls = *connection.tls;
        const bool accepted = tls.received(bytes);
        move_ciphertext(connection);
        if (!accepted) {
            fail(connection, connection.phase == Phase::handshaking
                                 ? TransportError::tls_failure
                                 : TransportError::malformed_response);
            return;
        }

        if (connection.phase == Phase::handshaking && tls.handshake_done()) {
            connection.phase = Phase::open;
            if (connection.exchange != nullptr) {
                start_request(connection);
            }
        }

        Botan::secure_vector<char>& plaintext = tls.plaintext_in();
        if (!plaintext.empty()) {
            deliver(connection, std::string_view(plaintext.data(), plaintext.size()));
            plaintext.clear();
        }
        if (!connection.closed && tls.peer_closed()) {
            on_end_of_stream(connection);
        }
    }

    // Response bytes, in plaintext.
    void deliver(Connection& connection, std::string_view bytes) {
        if (connection.exchange == nullptr) {
            // Bytes on an idle connection answer nothing we asked: drop the connection.
            close(connection);
            return;
        }

        ResponseParser& parser = *connection.exchange->parser;
        switch (parser.feed(bytes)) {
            case ResponseParser::State::incomplete:
                return;
            case ResponseParser::State::complete:
                complete(connection, parser.connection_reusable());
                return;
            case ResponseParser::State::failed:
                fail(connection, parser.error());
                return;
        }
    }

    // A connection that ended while idle (the server's keep-alive timeout) or during
    // the TLS handshake is settled here; true when it was.
    bool ended_before_request(Connection& connection) {
        if (connection.exchange == nullptr) {
            close(connection);
            return true;
        }
        if (connection.phase == Phase::handshaking) {
            fail(connection, TransportError::tls_failure);
            return true;
        }
        return false;
    }

    void on_end_of_stream(Connection& connection) {
        if (ended_before_request(connection)) {
            return;
        }

        ResponseParser& parser = *connection.exchange->parser;
        if (parser.finish() == ResponseParser::State::complete) {
            complete(connection, false);
            return;
        }
        if (!retry_on_fresh_connection(connection)) {
            fail(connection, parser.error());
        }
    }

    void on_socket_error(Connection& connection, int error) {
        if (ended_before_request(connection)) {
            return;
        }
        if (!retry_on_fresh_connection(connection)) {
            fail(connection, from_errno(error));
        }
    }

    // A reused connection that failed before any response byte was most likely closed
    // by the server while idle: the request goes out once more on a new connection.
    bool retry_on_fresh_connection(Connection& connection) {
        Exchange& exchange = *connection.exchange;
        if (!exchange.on_reused_connection || exchange.retried ||
            !exchange.parser->nothing_received()) {
            return false;
        }

        auto retry = std::move(connection.exchange);
        close(connection);
        retry->retried = true;
        retry->on_reused_connection = false;
        retry->parser = std::make_unique<ResponseParser>(retry->request.max_response_bytes);
        open_connection(std::move(retry));
        return true;
    }

    void complete(Connection& connection, bool reusable) {
        Exchange& exchange = *connection.exchange;
        finish(exchange.request.id, exchange.parser->take_response(), connection.id,
               exchange.on_reused_connection);
        connection.exchange.reset();

        // A server may answer before it has read the whole request (an early 4xx):
        // the unsent rest would prefix the next request, so such a connection ends.
        const bool request_sent = connection.outbound.empty();
        const bool tls_open = connection.tls == nullptr || !connection.tls->peer_closed();
        const auto idle = std::count_if(m_connections.begin(), m_connections.end(),
                                        [](const auto& c) { return c->idle(); });
        if (!reusable || !request_sent || !tls_open ||
            static_cast<std::size_t>(idle) > max_idle_connections) {
            close(connection);
        }
    }

    void fail(Connection& connection, TransportError error) {
        if (connection.exchange != nullptr) {
            finish(connection.exchange->request.id, error, connection.id,
                   connection.exchange->on_reused_connection);
            connection.exchange.reset();
        }
        close(connection);
    }

    void close(Connection& connection) {
        connection.closed = true;
        if (connection.fd >= 0) {
            ::close(connection.fd);
            connection.fd = -1;
        }
    }

    void sweep() {
        m_connections.remove_if([](const auto& c) { return c->closed; });
    }

    // Requests whose deadline has come complete with timed_out; their connections,
    // mid-exchange, cannot be reused.
    void expire(MonoTime now) {
        for (const auto& connection : m_connections) {
            if (connection->exchange != nullptr && now >= connection->exchange->request.deadline) {
                fail(*connection, TransportError::timed_out);
            }
        }
    }

    MonoTime next_wake_up(MonoTime until) const {
        MonoTime next = until;
        for (const auto& connection : m_connections) {
            if (connection->exchange != nullptr) {
                next = std::min(next, connection->exchange->request.deadline);
            }
        }
        return next;
    }

    void poll_once(MonoTime timeout) {
        std::vector<pollfd> watched;
        std::vector<Connection*> owners;
        for (const auto& connection : m_connections) {
            if (connection->closed || connection->fd < 0) {
                continue;
            }
            short events = POLLIN;
            if (connection->phase == Phase::connecting) {
                events = POLLOUT;
            } else if (!connection->outbound.empty()) {
                events |= POLLOUT;
            }
            watched.push_back(pollfd{connection->fd, events, 0});
            owners.push_back(connection.get());
        }

        const auto wait_ms =
            static_cast<int>(std::clamp<MonoTime::rep>(timeout.count(), 0, 60'000));
        if (::poll(watched.data(), watched.size(), wait_ms) <= 0) {
            return;
        }

        for (std::size_t i = 0; i < watched.size(); ++i) {
            if (watched[i].revents != 0) {
                on_event(*owners[i], watched[i].revents);
            }
        }
    }

    void on_event(Connection& connection, short revents) {
        if (connection.closed) {
            return;
        }

        if (connection.phase == Phase::connecting) {
            int error = 0;
            socklen_t length = sizeof error;
            ::getsockopt(connection.fd, SOL_SOCKET, SO_ERROR, &error, &length);
            if (error != 0) {
                ::close(connection.fd);
                connection.fd = -1;
                connect_next_address(connection, error);
                return;
            }
            on_connected(connection);
            flush(connection);
            return;
        }

        if ((revents & (POLLIN | POLLHUP | POLLERR)) != 0) {
            on_readable(connection);
        }
        flush(connection);
    }

    const MonotonicClock& m_clock;
    const TlsOptions m_tls_options;
    std::shared_ptr<TlsContext> m_tls;  // made at the first https connection
    std::list<std::unique_ptr<Connection>> m_connections;
    std::deque<Completion> m_finished;
    std::uint64_t m_connections_opened = 0;
};

}  // namespace

std::unique_ptr<Transport> make_native_transport(const MonotonicClock& clock, TlsOptions tls) {
    return std::make_unique<NativeTransport>(clock, std::move(tls));
}

}  // namespace ec2seed::transport
