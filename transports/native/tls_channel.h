// TLS 1.2 client connections for the native transport, with Botan 2.
//
// TlsContext holds what every connection shares: the random generator, the trust
// store, the policy. The transport makes it at its first https connection, never
// before, so that no TLS code draws on the kernel's random pool in phase 1.
// TlsChannel is one connection's TLS state: ciphertext in and out on one side,
// plaintext in and out on the other; it does no I/O itself.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include <botan/secmem.h>

#include "ec2seed/transport/transport.h"

namespace ec2seed::transport {

class TlsContext;

// Makes the shared TLS state: seeds Botan's generator from the system and loads the
// trust store (the ca_bundle PEM file, or the system bundle when unset). Never
// returns null: a trust store that fails to load leaves a context whose channels all
// fail, so every https request completes with tls_failure.
std::shared_ptr<TlsContext> make_tls_context(const TlsOptions& options);

class TlsChannel final {
  public:
    // Starts the handshake with the server at endpoint: the ClientHello is waiting in
    // ciphertext_out() when this returns. The certificate must name endpoint.host (a
    // DNS name, or an IPv4 literal matched against the certificate's IP addresses).
    TlsChannel(std::shared_ptr<TlsContext> context, const Endpoint& endpoint);
    ~TlsChannel();

    TlsChannel(const TlsChannel&) = delete;
    TlsChannel& operator=(const TlsChannel&) = delete;

    // Hands over ciphertext read from the socket. Returns false when the TLS session
    // failed (bad certificate, alert, corrupt record): the connection is unusable.
    bool received(std::string_view ciphertext);

    // Encrypts application data (only once handshake_done()). False on failure.
    bool send(std::string_view plaintext);

    // Queues a close_notify alert in ciphertext_out().
    void close();

    bool handshake_done() const noexcept;
    bool failed() const noexcept;
    // The peer sent close_notify or a fatal alert: no more data will come.
    bool peer_closed() const noexcept;

    // Bytes to write to the socket; the caller erases what it wrote.
    Botan::secure_vector<char>& ciphertext_out() noexcept;
    // Decrypted application data (wiped when freed); the caller erases what it used.
    Botan::secure_vector<char>& plaintext_in() noexcept;

  private:
    class Session;
    std::unique_ptr<Session> m_session;
};

}  // namespace ec2seed::transport
