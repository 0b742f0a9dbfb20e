// The installed shape of the command: the real binary as a subprocess, with a
// controlled environment. It never reaches the network: endpoints point at a
// loopback port this test holds bound and does not listen on, so every connection
// is refused at once.
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <boost/json.hpp>

namespace {

struct Exit {
    int status = -1;
    std::string out;
    std::string err;
};

std::string slurp(const std::string& path) {
    std::ifstream in(path);
    std::stringstream text;
    text << in.rdbuf();
    return text.str();
}

class Sandbox {
  public:
    Sandbox() {
        std::string pattern = std::filesystem::temp_directory_path() / "ec2seed-proc-XXXXXX";
        m_dir = ::mkdtemp(pattern.data());
    }
    ~Sandbox() { std::filesystem::remove_all(m_dir); }
    Sandbox(const Sandbox&) = delete;
    Sandbox& operator=(const Sandbox&) = delete;

    std::string path(const std::string& name) const { return (m_dir / name).string(); }

    // Runs ec2seed with exactly env as its environment.
    Exit run(const std::vector<std::string>& args, std::vector<std::string> env = {},
             bool journal_stderr = false) const {
        const std::string out = path("stdout");
        const std::string err = path("stderr");
        const int err_fd = ::open(err.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
        if (journal_stderr) {
            // As systemd does: JOURNAL_STREAM names stderr's device and inode.
            struct stat info {};
            ::fstat(err_fd, &info);
            env.push_back("JOURNAL_STREAM=" + std::to_string(info.st_dev) + ":" +
                          std::to_string(info.st_ino));
        }

        posix_spawn_file_actions_t actions;
        posix_spawn_file_actions_init(&actions);
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
        posix_spawn_file_actions_addopen(&actions, 1, out.c_str(), O_WRONLY | O_CREAT | O_TRUNC,
                                         0600);
        posix_spawn_file_actions_adddup2(&actions, err_fd, 2);

        std::vector<std::string> argv_text{EC2SEED_BINARY};
        argv_text.insert(argv_text.end(), args.begin(), args.end());
        std::vector<char*> argv;
        for (auto& arg : argv_text) {
            argv.push_back(arg.data());
        }
        argv.push_back(nullptr);
        std::vector<char*> envp;
        for (auto& entry : env) {
            envp.push_back(entry.data());
        }
        envp.push_back(nullptr);

        Exit exit;
        pid_t pid = 0;
        const int spawned =
            ::posix_spawn(&pid, EC2SEED_BINARY, &actions, nullptr, argv.data(), envp.data());
        posix_spawn_file_actions_destroy(&actions);
        ::close(err_fd);
        if (spawned != 0) {
            ADD_FAILURE() << "posix_spawn: " << spawned;
            return exit;
        }
        int status = 0;
        ::waitpid(pid, &status, 0);
        exit.status = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
        exit.out = slurp(out);
        exit.err = slurp(err);
        return exit;
    }

  private:
    std::filesystem::path m_dir;
};

// A loopback port held bound (so no one else takes it) but never listened on.
class RefusingPort {
  public:
    RefusingPort() {
        m_fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
        sockaddr_in address{};
        address.sin_family = AF_INET;
        address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        ::bind(m_fd, reinterpret_cast<sockaddr*>(&address), sizeof(address));
        socklen_t length = sizeof(address);
        ::getsockname(m_fd, reinterpret_cast<sockaddr*>(&address), &length);
        m_port = ntohs(address.sin_port);
    }
    ~RefusingPort() { ::close(m_fd); }
    RefusingPort(const RefusingPort&) = delete;
    RefusingPort& operator=(const RefusingPort&) = delete;

    std::string url() const { return "http://127.0.0.1:" + std::to_string(m_port); }

  private:
    int m_fd = -1;
    std::uint16_t m_port = 0;
};

TEST(Process, HelpAndVersion) {
    const Sandbox sandbox;

    const auto help = sandbox.run({"--help"});
    const auto version = sandbox.run({"--version"});

    EXPECT_EQ(help.status, 0);
    EXPECT_EQ(help.out.rfind("Usage: ec2seed", 0), 0u);
    EXPECT_NE(help.out.find("writes entropy to disk"), std::string::npos);
    EXPECT_TRUE(help.err.empty()) << help.err;
    EXPECT_EQ(version.status, 0);
    EXPECT_EQ(version.out.rfind("ec2seed ", 0), 0u);
}

TEST(Process, UsageErrorsExitTwoNamingTheFlag) {
    const Sandbox sandbox;

    // Should a regression accept these, the runs still add nothing to this machine's
    // pool, and the first sends nothing beyond loopback.
    const auto bad_flag = sandbox.run(
        {"--kms-bytes", "0", "--sink", "dry-run", "--imds-endpoint", "http://127.0.0.1:9"});
    const auto bad_env =
        sandbox.run({"--sink", "dry-run"}, {"AWS_EC2_METADATA_SERVICE_ENDPOINT_MODE=IPv5"});
    const auto bad_sink = sandbox.run({"--sink", "file:" + sandbox.path("none/x.jsonl")});

    EXPECT_EQ(bad_flag.status, 2);
    EXPECT_EQ(bad_flag.err.rfind("ec2seed: error: --kms-bytes: '0' is not accepted", 0), 0u)
        << bad_flag.err;
    EXPECT_TRUE(bad_flag.out.empty());
    EXPECT_EQ(bad_env.status, 2);
    EXPECT_NE(bad_env.err.find("AWS_EC2_METADATA_SERVICE_ENDPOINT_MODE: 'IPv5'"), std::string::npos)
        << bad_env.err;
    EXPECT_EQ(bad_sink.status, 2);
    EXPECT_NE(bad_sink.err.find("--sink"), std::string::npos) << bad_sink.err;
}

TEST(Process, JournalStreamGetsPriorityPrefixes) {
    const Sandbox sandbox;

    const auto journal = sandbox.run({"--imds-v1", "maybe"}, {}, true);
    const auto plain = sandbox.run({"--imds-v1", "maybe"}, {"JOURNAL_STREAM=1:2"});

    EXPECT_EQ(journal.status, 2);
    EXPECT_EQ(journal.err.rfind("<3>--imds-v1: 'maybe' is not accepted", 0), 0u) << journal.err;
    // JOURNAL_STREAM that names another file: plain lines.
    EXPECT_EQ(plain.err.rfind("ec2seed: error: --imds-v1", 0), 0u) << plain.err;
}

void expect_refused_run_fails(const std::string& transport_name) {
    const Sandbox sandbox;
    const RefusingPort imds;

    const auto run = sandbox.run({"--transport", transport_name, "--sink", "dry-run", "--skip-kms",
                                  "--deadline", "1", "--report", "json"},
                                 {"AWS_EC2_METADATA_SERVICE_ENDPOINT=" + imds.url()});

    EXPECT_EQ(run.status, 1) << run.err;
    const auto report = boost::json::parse(run.out).as_object();
    EXPECT_EQ(report.at("outcome").as_string(), "failed");
    EXPECT_EQ(report.at("transport").as_string(), transport_name);
    EXPECT_EQ(report.at("sink").as_string(), "dry-run");
    EXPECT_TRUE(report.at("sources").as_array().empty());
    EXPECT_FALSE(report.at("errors").as_array().empty());
    EXPECT_GE(report.at("requests").as_int64(), 1);
}

TEST(Process, RefusedImdsFailsWithExitOneOverNative) {
    expect_refused_run_fails("native");
}

#if EC2SEED_WITH_CURL
TEST(Process, RefusedImdsFailsWithExitOneOverCurl) {
    expect_refused_run_fails("curl");
}
#endif

}  // namespace
