#include "loopback_server.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <sstream>
#include <stdexcept>
#include <vector>

extern char** environ;

namespace ec2seed::test {

namespace {

// Reads one line from fd, waiting at most timeout_ms for all of it.
std::string read_line(int fd, int timeout_ms) {
    std::string line;
    char c = 0;
    while (line.empty() || line.back() != '\n') {
        pollfd readable{fd, POLLIN, 0};
        if (::poll(&readable, 1, timeout_ms) <= 0 || ::read(fd, &c, 1) != 1) {
            throw std::runtime_error("the loopback server did not report its ports");
        }
        line.push_back(c);
    }
    return line;
}

}  // namespace

LoopbackServer::LoopbackServer() {
    char directory[] = "/tmp/ec2seed-transports-XXXXXX";
    if (::mkdtemp(directory) == nullptr) {
        throw std::runtime_error("mkdtemp failed");
    }
    m_directory = directory;
    m_ca_bundle = m_directory + "/ca.pem";

    int to_server[2] = {-1, -1};
    int from_server[2] = {-1, -1};
    if (::pipe2(to_server, O_CLOEXEC) != 0 || ::pipe2(from_server, O_CLOEXEC) != 0) {
        throw std::runtime_error("pipe failed");
    }

    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_adddup2(&actions, to_server[0], 0);
    posix_spawn_file_actions_adddup2(&actions, from_server[1], 1);
    std::string python = EC2SEED_PYTHON;
    std::string script = EC2SEED_LOOPBACK_SERVER;
    std::vector<char*> argv = {python.data(), script.data(), m_directory.data(), nullptr};
    const int spawned =
        ::posix_spawn(&m_pid, python.c_str(), &actions, nullptr, argv.data(), environ);
    posix_spawn_file_actions_destroy(&actions);
    ::close(to_server[0]);
    ::close(from_server[1]);
    m_stdin = to_server[1];
    if (spawned != 0) {
        m_pid = -1;
        ::close(from_server[0]);
        throw std::runtime_error("could not start " + python);
    }

    std::string line;
    try {
        line = read_line(from_server[0], 30'000);
    } catch (...) {
        ::close(from_server[0]);
        throw;
    }
    ::close(from_server[0]);

    std::istringstream words(line);
    std::string tag;
    unsigned plain = 0, tls = 0, wrong = 0;
    words >> tag >> plain >> tls >> wrong;
    if (tag != "ports" || plain == 0 || tls == 0 || wrong == 0) {
        throw std::runtime_error("unexpected line from the loopback server: " + line);
    }
    m_plain_port = static_cast<std::uint16_t>(plain);
    m_tls_port = static_cast<std::uint16_t>(tls);
    m_wrong_host_port = static_cast<std::uint16_t>(wrong);
}

LoopbackServer::~LoopbackServer() {
    if (m_stdin >= 0) {
        ::close(m_stdin);
    }
    if (m_pid > 0) {
        ::kill(m_pid, SIGTERM);
        int status = 0;
        ::waitpid(m_pid, &status, 0);
    }
    std::error_code ignored;
    std::filesystem::remove_all(m_directory, ignored);
}

RefusingPort::RefusingPort() {
    m_fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t length = sizeof address;
    // Bound but never listening: the kernel answers a SYN with a reset.
    if (m_fd < 0 || ::bind(m_fd, reinterpret_cast<sockaddr*>(&address), length) != 0 ||
        ::getsockname(m_fd, reinterpret_cast<sockaddr*>(&address), &length) != 0) {
        throw std::runtime_error("could not reserve a port");
    }
    m_port = ntohs(address.sin_port);
}

RefusingPort::~RefusingPort() {
    if (m_fd >= 0) {
        ::close(m_fd);
    }
}

}  // namespace ec2seed::test
