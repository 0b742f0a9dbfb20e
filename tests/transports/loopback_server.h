// The transport tests' peer: loopback_server.py started as a child process, with its
// own throwaway CA. Only the process this object started is ever signalled.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <string>

namespace ec2seed::test {

class LoopbackServer final {
  public:
    // Starts the server and waits (up to 30 s) until it listens. Throws
    // std::runtime_error when it does not start.
    LoopbackServer();
    ~LoopbackServer();

    LoopbackServer(const LoopbackServer&) = delete;
    LoopbackServer& operator=(const LoopbackServer&) = delete;

    std::uint16_t plain_port() const noexcept { return m_plain_port; }
    std::uint16_t tls_port() const noexcept { return m_tls_port; }
    // Serves a certificate, from the same CA, for a host nobody asks for.
    std::uint16_t wrong_host_port() const noexcept { return m_wrong_host_port; }
    // The PEM file of the CA that issued both certificates.
    const std::string& ca_bundle() const noexcept { return m_ca_bundle; }

  private:
    std::string m_directory;
    std::string m_ca_bundle;
    pid_t m_pid = -1;
    int m_stdin = -1;
    std::uint16_t m_plain_port = 0;
    std::uint16_t m_tls_port = 0;
    std::uint16_t m_wrong_host_port = 0;
};

// A port on 127.0.0.1 where nothing listens, held for the object's lifetime so that
// no other test takes it: connecting to it is refused.
class RefusingPort final {
  public:
    RefusingPort();
    ~RefusingPort();

    RefusingPort(const RefusingPort&) = delete;
    RefusingPort& operator=(const RefusingPort&) = delete;

    std::uint16_t port() const noexcept { return m_port; }

  private:
    int m_fd = -1;
    std::uint16_t m_port = 0;
};

}  // namespace ec2seed::test
