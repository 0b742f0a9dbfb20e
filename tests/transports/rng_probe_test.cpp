// Phase 1 must reach the kernel before any TLS code draws on the kernel's random pool.
//
// The test starts a copy of this binary (filtered to itself) as a probe. The probe
// traps getrandom(2) with a seccomp filter and counts the calls (serving them from
// /dev/urandom), and looks for /dev/random or /dev/urandom among its open files. It
// makes a transport and sends one http request: nothing may show. Then it sends one
// https request: something must show, or the probe could not see at all.
//
// Not observed here: what library constructors do before main(). On Debian, libcurl
// loads GnuTLS, whose constructor probes getrandom once (see the curl transport).
#include <gtest/gtest.h>

#if defined(__x86_64__)
#include <fcntl.h>
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <signal.h>
#include <spawn.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <ucontext.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstddef>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <string>
#include <vector>

#include "loopback_server.h"
#include "transport_kinds.h"

extern char** environ;

namespace ec2seed::test {
namespace {

constexpr const char* probe_variable = "EC2SEED_RNG_PROBE";
constexpr const char* http_port_variable = "EC2SEED_RNG_PROBE_HTTP_PORT";
constexpr const char* https_port_variable = "EC2SEED_RNG_PROBE_HTTPS_PORT";
constexpr const char* ca_variable = "EC2SEED_RNG_PROBE_CA";

// The probe's exit statuses.
enum ProbeOutcome : int {
    probe_passed = 0,
    touched_before_https = 10,
    blind_after_https = 11,
    trap_not_installed = 20,
    http_request_failed = 21,
    https_request_failed = 22,
};

std::atomic<int> g_getrandom_calls{0};
int g_urandom = -1;

void count_getrandom(int /*signal*/, siginfo_t* /*info*/, void* context) {
    g_getrandom_calls.fetch_add(1);

    // x86-64 syscall ABI: buffer in rdi, length in rsi, result in rax.
    auto& registers = static_cast<ucontext_t*>(context)->uc_mcontext.gregs;
    void* const buffer = reinterpret_cast<void*>(registers[REG_RDI]);
    const auto length = static_cast<std::size_t>(registers[REG_RSI]);
    const ssize_t filled = ::read(g_urandom, buffer, length);
    registers[REG_RAX] = filled < 0 ? -errno : filled;
}

bool trap_getrandom() {
    g_urandom = ::open("/dev/urandom", O_RDONLY | O_CLOEXEC);
    if (g_urandom < 0) {
        return false;
    }

    struct sigaction action {};
    action.sa_sigaction = &count_getrandom;
    action.sa_flags = SA_SIGINFO;
    if (::sigaction(SIGSYS, &action, nullptr) != 0) {
        return false;
    }

    const auto code = [](int value) { return static_cast<std::uint16_t>(value); };
    sock_filter program[] = {
        {code(BPF_LD | BPF_W | BPF_ABS), 0, 0, offsetof(seccomp_data, arch)},
        {code(BPF_JMP | BPF_JEQ | BPF_K), 1, 0, AUDIT_ARCH_X86_64},
        {code(BPF_RET | BPF_K), 0, 0, SECCOMP_RET_ALLOW},
        {code(BPF_LD | BPF_W | BPF_ABS), 0, 0, offsetof(seccomp_data, nr)},
        {code(BPF_JMP | BPF_JEQ | BPF_K), 0, 1, SYS_getrandom},
        {code(BPF_RET | BPF_K), 0, 0, SECCOMP_RET_TRAP},
        {code(BPF_RET | BPF_K), 0, 0, SECCOMP_RET_ALLOW},
    };
    const sock_fprog filter{static_cast<unsigned short>(std::size(program)), program};
    return ::prctl(PR_SET_NO_NEW_PRIVS, 1UL, 0UL, 0UL, 0UL) == 0 &&
           ::prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &filter) == 0;
}

// Whether the process holds the kernel's random device open (besides the probe's own).
bool random_device_open() {
    std::error_code error;
    for (const auto& entry : std::filesystem::directory_iterator("/proc/self/fd", error)) {
        if (entry.path().filename() == std::to_string(g_urandom)) {
            continue;
        }
        const std::filesystem::path target = std::filesystem::read_symlink(entry.path(), error);
        if (!error && (target == "/dev/urandom" || target == "/dev/random")) {
            return true;
        }
    }
    return false;
}

bool drew_randomness() {
    return g_getrandom_calls.load() != 0 || random_device_open();
}

bool request_succeeds(transport::Transport& transport, const transport::MonotonicClock& clock,
                      Scheme scheme, std::uint16_t port) {
    HttpRequest request;
    request.id = 1;
    request.endpoint = Endpoint{scheme, "127.0.0.1", port};
    request.method = "GET";
    request.target = "/echo";
    request.deadline = clock.now() + MonoTime{10'000};
    transport.submit(std::move(request));

    while (transport.in_flight() > 0 && clock.now() < MonoTime{20'000}) {
        for (const transport::Completion& done : transport.wait(clock.now() + MonoTime{1000})) {
            const auto* response = std::get_if<HttpResponse>(&done.outcome);
            return response != nullptr && response->status == 200;
        }
    }
    return false;
}

int run_probe(TransportKind kind) {
    const auto port = [](const char* name) {
        return static_cast<std::uint16_t>(std::atoi(std::getenv(name)));
    };
    if (!trap_getrandom()) {
        return trap_not_installed;
    }

    const transport::MonotonicClock clock;
    auto transport =
        make_transport(kind, clock, transport::TlsOptions{std::string(std::getenv(ca_variable))});
    if (!request_succeeds(*transport, clock, Scheme::http, port(http_port_variable))) {
        return http_request_failed;
    }
    if (drew_randomness()) {
        std::fprintf(stderr, "probe: %d getrandom calls, random device open: %s\n",
                     g_getrandom_calls.load(), random_device_open() ? "yes" : "no");
        return touched_before_https;
    }

    if (!request_succeeds(*transport, clock, Scheme::https, port(https_port_variable))) {
        return https_request_failed;
    }
    return drew_randomness() ? probe_passed : blind_after_https;
}

// Runs this very test in a child process, in probe mode; returns its exit status.
int spawn_probe(const LoopbackServer& server) {
    const ::testing::TestInfo& self = *::testing::UnitTest::GetInstance()->current_test_info();
    std::string filter =
        std::string("--gtest_filter=") + self.test_suite_name() + "." + self.name();
    std::string executable = std::filesystem::read_symlink("/proc/self/exe").string();

    ::setenv(probe_variable, "1", 1);
    ::setenv(http_port_variable, std::to_string(server.plain_port()).c_str(), 1);
    ::setenv(https_port_variable, std::to_string(server.tls_port()).c_str(), 1);
    ::setenv(ca_variable, server.ca_bundle().c_str(), 1);
    std::vector<char*> argv = {executable.data(), filter.data(), nullptr};
    // The probe inherits no descriptor: a random device this process opened must not
    // count against it.
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_addclosefrom_np(&actions, 3);
    pid_t child = -1;
    const int spawned =
        ::posix_spawn(&child, executable.c_str(), &actions, nullptr, argv.data(), environ);
    posix_spawn_file_actions_destroy(&actions);
    for (const char* name :
         {probe_variable, http_port_variable, https_port_variable, ca_variable}) {
        ::unsetenv(name);
    }
    if (spawned != 0) {
        return -1;
    }

    int status = 0;
    ::waitpid(child, &status, 0);
    return WIFEXITED(status) ? WEXITSTATUS(status) : -WTERMSIG(status);
}

class RngProbeTest : public ::testing::TestWithParam<TransportKind> {};

TEST_P(RngProbeTest, NoTlsRandomnessBeforeTheFirstHttpsRequest) {
    if (std::getenv(probe_variable) != nullptr) {
        std::_Exit(run_probe(GetParam()));
    }

    const LoopbackServer server;
    const int outcome = spawn_probe(server);

    EXPECT_NE(outcome, touched_before_https) << "randomness was drawn before any https request";
    EXPECT_NE(outcome, blind_after_https) << "the probe saw no randomness drawn for https";
    EXPECT_EQ(outcome, probe_passed) << "the probe ended with status " << outcome;
}

INSTANTIATE_TEST_SUITE_P(Transports, RngProbeTest, ::testing::ValuesIn(all_transport_kinds()),
                         transport_test_name);

}  // namespace
}  // namespace ec2seed::test

#endif  // __x86_64__
