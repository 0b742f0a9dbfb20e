// The sinks that need no privilege: /dev/urandom, dry-run and file:PATH.
#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include <botan/hex.h>
#include <botan/mem_ops.h>
#include <boost/json.hpp>

#include "ec2seed/transport/entropy_sink.h"

namespace ec2seed::transport {
namespace {

// 0, or the errno of the failed write.
int write_all(int fd, const void* data, std::size_t size) {
    const auto* next = static_cast<const std::uint8_t*>(data);
    while (size > 0) {
        const ssize_t written = ::write(fd, next, size);
        if (written < 0 && errno == EINTR) {
            continue;
        }
        if (written <= 0) {
            return written < 0 ? errno : EIO;
        }
        next += written;
        size -= static_cast<std::size_t>(written);
    }
    return 0;
}

class UrandomSink final : public EntropySink {
  public:
    explicit UrandomSink(int fd) : m_fd(fd) {}
    ~UrandomSink() override { ::close(m_fd); }
    UrandomSink(const UrandomSink&) = delete;
    UrandomSink& operator=(const UrandomSink&) = delete;

    EntropyResult add(const EntropyAddition& addition) override {
        // random(4): bytes written to /dev/urandom are mixed in but credit nothing.
        const int error_number = write_all(m_fd, addition.bytes.data(), addition.bytes.size());
        if (error_number != 0) {
            return EntropyResult{false,
                                 describe_errno(RandomDeviceCall::write_urandom, error_number)};
        }
        return EntropyResult{true, {}};
    }

    SinkKind kind() const override { return SinkKind::urandom; }

    std::vector<std::string> warnings() const override {
        return {"sink urandom: bytes were mixed into the pool without credit"};
    }

  private:
    int m_fd;
};

class DryRunSink final : public EntropySink {
  public:
    EntropyResult add(const EntropyAddition&) override { return EntropyResult{true, {}}; }

    SinkKind kind() const override { return SinkKind::dry_run; }

    std::vector<std::string> warnings() const override {
        return {
            "dry run: nothing was added to the kernel; the sources list what would have "
            "been added"};
    }
};

class FileSink final : public EntropySink {
  public:
    FileSink(int fd, std::string path) : m_fd(fd), m_path(std::move(path)) {}
    ~FileSink() override { ::close(m_fd); }
    FileSink(const FileSink&) = delete;
    FileSink& operator=(const FileSink&) = delete;

    EntropyResult add(const EntropyAddition& addition) override {
        std::string hex = Botan::hex_encode(addition.bytes.data(), addition.bytes.size(), false);
        boost::json::object line;
        line["source"] = addition.source;
        line["bytes_hex"] = hex;
        line["credit_bits"] = addition.credit_bits;
        std::string text = boost::json::serialize(line);
        text += '\n';

        // One write per line, so that a reader never sees half an object.
        const int error_number = write_all(m_fd, text.data(), text.size());

        // The line holds entropy: wipe the copies.
        Botan::secure_scrub_memory(hex.data(), hex.size());
        Botan::secure_scrub_memory(text.data(), text.size());
        if (auto* held = line["bytes_hex"].if_string()) {
            Botan::secure_scrub_memory(held->data(), held->size());
        }

        if (error_number != 0) {
            return EntropyResult{false, "write to " + m_path + ": " + std::strerror(error_number)};
        }
        return EntropyResult{true, {}};
    }

    SinkKind kind() const override { return SinkKind::file; }

    std::vector<std::string> warnings() const override {
        return {"sink file: entropy was written to disk, in " + m_path +
                ", and not added to the kernel; do not use these bytes as secrets"};
    }

  private:
    int m_fd;
    std::string m_path;
};

}  // namespace

Result<std::unique_ptr<EntropySink>> make_urandom_sink() {
    const int fd = ::open("/dev/urandom", O_WRONLY | O_CLOEXEC);
    if (fd < 0) {
        return Error{ErrorCode::bad_config,
                     std::string("open /dev/urandom: ") + std::strerror(errno)};
    }
    return std::unique_ptr<EntropySink>(std::make_unique<UrandomSink>(fd));
}

std::unique_ptr<EntropySink> make_dry_run_sink() {
    return std::make_unique<DryRunSink>();
}

Result<std::unique_ptr<EntropySink>> make_file_sink(const std::string& path) {
    // 0600: the file holds entropy that went to no one else.
    const int fd = ::open(path.c_str(), O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0600);
    if (fd < 0) {
        return Error{ErrorCode::bad_config, "open " + path + ": " + std::strerror(errno)};
    }
    return std::unique_ptr<EntropySink>(std::make_unique<FileSink>(fd, path));
}

Result<std::unique_ptr<EntropySink>> make_sink(const SinkSpec& spec) {
    switch (spec.kind) {
        case SinkKind::kernel: {
            auto calls = open_random_device();
            if (!calls) {
                return std::move(calls).error();
            }
            return make_kernel_sink(std::move(calls).value());
        }
        case SinkKind::urandom:
            return make_urandom_sink();
        case SinkKind::dry_run:
            return make_dry_run_sink();
        case SinkKind::file:
            return make_file_sink(spec.path);
    }
    return make_dry_run_sink();
}

}  // namespace ec2seed::transport
