// The driver: the only place that joins the Seeder, a transport, a sink and the
// clocks.
#include "ec2seed/app/run.h"

#include <unistd.h>

#include <chrono>
#include <iostream>
#include <map>
#include <thread>

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
           const transport::MonotonicClock& clock, Logger& log, MonoTime overall_deadline) {
    std::map<RequestId, RequestInFlight> in_flight;
    const MonoTime give_up = clock.now() + overall_deadline + driver_grace;

    sink.begin();
    seeder.start(clock.both());

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
                seeder.handle_entropy_result(addition.id, result, clock.both());
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
                    seeder.handle_response(done.id, std::move(*response), at);
                } else {
                    seeder.handle_transport_error(done.id, std::get<TransportError>(done.outcome),
                                                  at);
                }
            }
        }

        // A spurious or early call does nothing: the Seeder checks the time itself.
        if (deadline && clock.now() >= *deadline) {
            seeder.handle_timeout(clock.both());
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

    // The transport initialises no TLS library until the first https request.
    const transport::MonotonicClock clock;
    auto transport = context.make_transport(options, clock);
    if (!transport) {
        log.log(LogLevel::error, "--transport: " + transport.error().message);
        return exit_usage;
    }

    Seeder seeder(options.seeder);
    drive(seeder, **transport, **sink, clock, log, options.seeder.overall_deadline);

    RunSummary summary{seeder.report(), std::string((*transport)->name()), (*sink)->kind(),
                       (*sink)->kernel_report(), (*sink)->warnings()};
    *context.out << (options.report == ReportFormat::json ? format_json_report(summary)
                                                          : format_text_report(summary));
    context.out->flush();
    return exit_status(summary.report.outcome);
}

}  // namespace ec2seed::app
