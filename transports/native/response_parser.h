// One HTTP/1.1 response read off a connection with llhttp: bytes in, an HttpResponse
// (or the reason there is none) out. Interim 1xx responses are skipped; bodies framed
// by Content-Length, by chunked coding or by the connection's close are all read.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

#include <llhttp.h>

#include "ec2seed/core/http.h"

namespace ec2seed::transport {

class ResponseParser final {
  public:
    enum class State { incomplete, complete, failed };

    // The body may hold at most max_body_bytes; one more makes the parse fail with
    // response_too_large.
    explicit ResponseParser(std::size_t max_body_bytes);

    ResponseParser(const ResponseParser&) = delete;
    ResponseParser& operator=(const ResponseParser&) = delete;

    // Feeds bytes received after the ones fed before. Returns complete once the final
    // response has ended; failed when the bytes are not a valid response, or when the
    // body or the header section is too large (error() says which).
    State feed(std::string_view bytes);

    // The connection reached its end. Completes a body that ends at close; fails with
    // malformed_response when the connection closed mid-message. When no byte at all
    // was received it fails with connection_reset, and nothing_received() is true: the
    // caller may send the request again on a fresh connection.
    State finish();

    State state() const noexcept { return m_state; }
    bool nothing_received() const noexcept { return m_bytes_seen == 0; }

    // Whether the connection may carry another request (after complete): the server
    // asked for no close, the body did not end at close, and nothing followed it.
    bool connection_reusable() const noexcept { return m_reusable; }

    // Why the parse failed (after failed).
    TransportError error() const noexcept { return m_error; }

    // The response (after complete).
    HttpResponse take_response() { return std::move(m_response); }

  private:
    static int on_header_field(llhttp_t* parser, const char* at, std::size_t length);
    static int on_header_value(llhttp_t* parser, const char* at, std::size_t length);
    static int on_header_value_complete(llhttp_t* parser);
    static int on_headers_complete(llhttp_t* parser);
    static int on_body(llhttp_t* parser, const char* at, std::size_t length);
    static int on_message_complete(llhttp_t* parser);

    static ResponseParser& self(llhttp_t* parser);
    int fail(TransportError error);
    bool interim() const;

    llhttp_settings_t m_settings{};
    llhttp_t m_parser{};
    std::size_t m_max_body_bytes;
    std::size_t m_bytes_seen = 0;
    std::size_t m_header_bytes = 0;
    std::string m_field;
    std::string m_value;
    HttpResponse m_response;
    State m_state = State::incomplete;
    TransportError m_error = TransportError::malformed_response;
    bool m_reusable = false;
};

}  // namespace ec2seed::transport
