// The driver: the only place that joins the Seeder, a transport, a sink and the
// clocks.
#include "ec2seed/app/run.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <iostream>
#include <map>
#include <optional>
#include <thread>
#include <utility>

namespace ec2seed::app {
namespace {

// How long past the Seeder's own overall deadline the driver keeps going before it
// gives up on a Seeder that has not finished (a bug, never the normal path).
constexpr MonoTime driver_grace{5000};

LogLevel log_level(EventLevel level) {
    switch (level) {
        case EventLevel::debug:
            return LogLevel::debug;
        case EventLevel::info:
            return LogLevel::info;
        case EventLevel::warning:
            return LogLevel::warning;
        case EventLevel::error:
            return LogLevel::error;
    }
    return LogLevel::info;
}

struct RequestInFlight {
    std::string method;
    std::string url;
    MonoTime sent{0};
};

// -v lines: method, URL, outcome, duration. Never a header value or a body.
std::string request_line(const RequestInFlight& request, const transport::Completion& done,
                         MonoTime now) {
    std::string line = request.method + " " + request.url + " -> ";
    if (const auto* response = std::get_if<HttpResponse>(&done.outcome)) {
        line += std::to_string(response->status);
    } else {
        line += to_string(std::get<TransportError>(done.outcome));
    }
    line += " in " + std::to_string((now - request.sent).count()) + " ms (connection " +
            std::to_string(done.connection) + (done.reused_connection ? ", reused)" : ")");
    return line;
}

// The --record file: created (mode 0600) before anything is sent, so that a path
// that cannot be written is a usage error; filled when the run ends.
class RecordFile {
  public:
    static Result<RecordFile> create(const std::string& path) {
        const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
        if (fd < 0) {
            return Error{ErrorCode::bad_config, "open " + path + ": " + std::strerror(errno)};
        }

        // An existing file keeps its mode under O_CREAT: the transcript is as private.
        ::fchmod(fd, 0600);
        return RecordFile(fd, path);
    }

    RecordFile(RecordFile&& other) noexcept
        : m_fd(std::exchange(other.m_fd, -1)), m_path(std::move(other.m_path)) {}
    RecordFile& operator=(RecordFile&&) = delete;
    RecordFile(const RecordFile&) = delete;
    RecordFile& operator=(const RecordFile&) = delete;
    ~RecordFile() {
        if (m_fd >= 0) {
            ::close(m_fd);
        }
    }

    Status write(std::string_view text) {
        while (!text.empty()) {
            const ssize_t written = ::write(m_fd, text.data(), text.size());
            if (written < 0 && errno == EINTR) {
                continue;
            }
            if (written <= 0) {
                return Error{ErrorCode::bad_config,
                             "write " + m_path + ": " + std::strerror(written < 0 ? errno : EIO)};
            }
            text.remove_prefix(static_cast<std::size_t>(written));
        }
        return ok();
    }

  private:
    RecordFile(int fd, std::string path) : m_fd(fd), m_path(std::move(path)) {}

    int m_fd;
    std::string m_path;
};

void drain_events(Seeder& seeder, Logger& log) {
    while (auto event = seeder.poll_event()) {
        log.log(log_level(event->level), event->message);
    }
}

}  // namespace

std::uint64_t jitter_seed_from_clock() {
    // Retry jitter only spreads retries out; it needs no secrecy. A random source
    // here could block, or draw on the very pool this program exists to fill, so
    // the seed comes from the clocks and the process ID.
    const auto steady =
        static_cast<std::uint64_t>(std::chrono::steady_clock::now().time_since_epoch().count());
    const auto wall =
        static_cast<std::uint64_t>(std::chrono::system_clock::now().time_since_epoch().count());
    const auto pid = static_cast<std::uint64_t>(::getpid());

    // splitmix64's finaliser, to spread the bits.
    std::uint64_t seed = steady ^ (wall << 1) ^ (pid << 48);
    seed ^= seed >> 30;
    seed *= 0xbf58476d1ce4e5b9ULL;
    seed ^= seed >> 27;
    seed *= 0x94d049bb133111ebULL;
    seed ^= seed >> 31;
    return seed;
}

void drive(Seeder& seeder, transport::Transport& transport, transport::EntropySink& sink,
           const transport::MonotonicClock& clock, Logger& log, MonoTime overall_deadline,
           transcript::TranscriptRecorder* recorder) {
    std::map<RequestId, RequestInFlight> in_flight;
    const MonoTime give_up = clock.now() + overall_deadline + driver_grace;

    sink.begin();
    const Now started = clock.both();
    seeder.start(started);
    if (recorder != nullptr) {
        recorder->on_start(started);
    }

    while (!seeder.finished()) {
        // Commands: requests go out, additions are made and answered at once.
        while (auto command = seeder.poll_command()) {
            if (auto* request = std::get_if<HttpRequest>(&*command)) {
                in_flight[request->id] = RequestInFlight{
                    request->method, to_string(request->endpoint) + request->target, clock.now()};
                transport.submit(std::move(*request));
            } else {
                const auto& addition = std::get<EntropyAddition>(*command);
                const EntropyResult result = sink.add(addition);
                if (!result.applied) {
                    log.log(LogLevel::error, addition.source + ": not added: " + result.reason);
                }
                const Now at = clock.both();
                seeder.handle_entropy_result(addition.id, result, at);
                if (recorder != nullptr) {
                    recorder->on_entropy_result(addition.id, result, at);
                }
            }
        }
        drain_events(seeder, log);
        if (seeder.finished()) {
            break;
        }

        // Wait for an answer or the Seeder's next deadline.
        const auto deadline = seeder.next_deadline();
        const MonoTime now = clock.now();
        if (now >= give_up) {
            log.log(LogLevel::error, "the run did not end by its deadline; stopping");
            break;
        }
        MonoTime until = deadline ? *deadline : now + MonoTime{1000};
        until = std::min(until, give_up);
        if (transport.in_flight() == 0) {
            std::this_thread::sleep_until(clock.at(until));
        } else {
            for (auto& done : transport.wait(until)) {
                const Now at = clock.both();
                if (const auto it = in_flight.find(done.id); it != in_flight.end()) {
                    log.log(LogLevel::debug, request_line(it->second, done, at.mono));
                    in_flight.erase(it);
                }
                if (auto* response = std::get_if<HttpResponse>(&done.outcome)) {
                    if (recorder != nullptr) {
                        seeder.handle_response(done.id, *response, at);
                        recorder->on_response(done.id, *response, at);
                    } else {
                        seeder.handle_response(done.id, std::move(*response), at);
                    }
                } else {
                    const auto error = std::get<TransportError>(done.outcome);
                    seeder.handle_transport_error(done.id, error, at);
                    if (recorder != nullptr) {
                        recorder->on_transport_error(done.id, error, at);
                    }
                }
            }
        }

        // A spurious or early call does nothing: the Seeder checks the time itself.
        if (const Now at = clock.both(); deadline && at.mono >= *deadline) {
            seeder.handle_timeout(at);
            if (recorder != nullptr) {
                recorder->on_timeout(at);
            }
        }
    }

    drain_events(seeder, log);
    sink.end();
}

RunContext process_context() {
    RunContext context;
    context.env = process_environment();
    context.out = &std::cout;
    context.err = &std::cerr;
    context.journal = fd_is_journal(context.env("JOURNAL_STREAM"), STDERR_FILENO);
    context.make_transport = [](const Options& options, const transport::MonotonicClock& clock)
        -> Result<std::unique_ptr<transport::Transport>> {
        transport::TlsOptions tls{options.ca_bundle};
#if EC2SEED_WITH_CURL
        if (options.transport == TransportKind::curl) {
            return transport::make_curl_transport(clock, std::move(tls));
        }
#endif
        return transport::make_native_transport(clock, std::move(tls));
    };
    context.make_sink = [](const transport::SinkSpec& spec) { return transport::make_sink(spec); };
    return context;
}

int run_command(std::span<const std::string> args, RunContext& context) {
    std::ostream& err = *context.err;

    // Options: every refusal exits 2 before anything is sent.
    auto command = parse_command_line(args, context.env);
    if (!command) {
        err << format_log_line(LogLevel::error, command.error().message, context.journal);
        err << "Try 'ec2seed --help'.\n";
        return exit_usage;
    }
    if (command->action == Action::help) {
        *context.out << usage_text();
        return 0;
    }
    if (command->action == Action::version) {
        *context.out << "ec2seed " << EC2SEED_VERSION << "\n";
        return 0;
    }

    Options& options = command->options;
    Logger log(err, options.verbosity, context.journal);
    options.seeder.jitter_seed = jitter_seed_from_clock();
    if (auto valid = Seeder::validate(options.seeder); !valid) {
        log.log(LogLevel::error, "configuration: " + valid.error().message);
        return exit_usage;
    }

    auto sink = context.make_sink(options.sink);
    if (!sink) {
        log.log(LogLevel::error, "--sink: " + sink.error().message);
        return exit_usage;
    }

    std::optional<RecordFile> record;
    if (options.record_path) {
        auto opened = RecordFile::create(*options.record_path);
        if (!opened) {
            log.log(LogLevel::error, "--record: " + opened.error().message);
            return exit_usage;
        }
        record.emplace(std::move(opened).value());
    }

    // The transport initialises no TLS library until the first https request.
    const transport::MonotonicClock clock;
    auto transport = context.make_transport(options, clock);
    if (!transport) {
        log.log(LogLevel::error, "--transport: " + transport.error().message);
        return exit_usage;
    }

    Seeder seeder(options.seeder);
    std::optional<transcript::TranscriptRecorder> recorder;
    if (record) {
        recorder.emplace(options.seeder);
    }
    drive(seeder, **transport, **sink, clock, log, options.seeder.overall_deadline,
          recorder ? &*recorder : nullptr);

    RunSummary summary{seeder.report(), std::string((*transport)->name()), (*sink)->kind(),
                       (*sink)->kernel_report(), (*sink)->warnings()};
    if (recorder) {
        recorder->finish(seeder.report());
        if (auto written = record->write(recorder->text()); !written) {
            log.log(LogLevel::error, "--record: " + written.error().message);
            summary.warnings.push_back("--record: " + written.error().message);
        }
        if (recorder->diverged()) {
            const std::string note = "the recording in " + *options.record_path +
                                     " took another path than the run (see its comments)";
            log.log(LogLevel::warning, note);
            summary.warnings.push_back(note);
        }
    }
    *context.out << (options.report == ReportFormat::json ? format_json_report(summary)
                                                          : format_text_report(summary));
    context.out->flush();
    return exit_status(summary.report.outcome);
}

}  // namespace ec2seed::app
