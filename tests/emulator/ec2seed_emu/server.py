"""The HTTP/1.1 server under both services: keep-alive, per-connection TLS, a log
entry for every connection and request, and the delivery faults (latency, hang,
close, slow drip, truncated body) applied when an answer is written.

A service subclasses ServiceHandler and implements answer(request) -> Response.
"""

import http.server
import socket
import ssl
import threading
import time

from . import common

# Request bodies above this are refused (413); ec2seed's are a few dozen bytes.
MAX_REQUEST_BODY = 1024 * 1024


class Request:
    """One request as received."""

    def __init__(self, conn, method, path, headers, body):
        self.conn = conn
        self.method = method
        self.path = path
        self.headers = headers
        self.body = body


class Response:
    """An answer to write, the verdict to log, and an optional delivery fault."""

    def __init__(self, status, body=b"", headers=(), verdict="ok", fault=None):
        self.status = status
        self.body = body if isinstance(body, bytes) else body.encode("utf-8")
        self.headers = list(headers)
        self.verdict = verdict
        self.fault = fault


class EmulatorServer(http.server.ThreadingHTTPServer):
    """A threading HTTP/1.1 server on 127.0.0.1 that may refuse connections at first.

    Refusing: the socket is bound (so the port is reserved and known) but not
    listening, and the kernel answers connection attempts with a reset, until
    refuse_seconds have passed.
    """

    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, service, handler_class, app, port=0, tls=False, refuse_seconds=0.0):
        super().__init__(("127.0.0.1", port), handler_class, bind_and_activate=False)
        self.service = service
        self.app = app
        self.tls = tls
        self.refuse_seconds = float(refuse_seconds)
        self._conn_lock = threading.Lock()
        self._next_conn = 0
        self._serving = threading.Event()
        self.server_bind()

    @property
    def port(self):
        return self.server_address[1]

    def next_connection_id(self):
        with self._conn_lock:
            self._next_conn += 1
            return "%s-%d" % (self.service, self._next_conn)

    def start(self, stop):
        """Starts serving in a thread. Listens before returning, unless it is to
        refuse connections first: then it listens once refuse_seconds have passed."""
        if self.refuse_seconds <= 0:
            self._listen()
        thread = threading.Thread(target=self._run, args=(stop,), daemon=True,
                                  name=self.service + "-server")
        thread.start()
        return thread

    def _listen(self):
        self.server_activate()
        self._serving.set()
        self.app.log.event(self.service, "listening", None, port=self.port)

    def _run(self, stop):
        if not self._serving.is_set():
            if stop.wait(self.refuse_seconds):
                return
            self._listen()
        self.serve_forever(poll_interval=0.1)

    def stop(self):
        """Stops serving (shutdown() waits up to one poll interval) and closes."""
        if self._serving.is_set():
            # shutdown() waits for serve_forever(), which may not have begun yet.
            waiter = threading.Thread(target=self.shutdown, daemon=True)
            waiter.start()
            waiter.join(timeout=2.0)
        self.server_close()

    @staticmethod
    def stop_all(servers):
        threads = [threading.Thread(target=one.stop) for one in servers]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()

    def handle_error(self, request, client_address):
        # A broken connection is part of what the emulator tests; the log has it.
        pass


class ServiceHandler(http.server.BaseHTTPRequestHandler):
    """Reads requests, asks the service for an answer, writes and logs it."""

    protocol_version = "HTTP/1.1"
    timeout = 30  # idle keep-alive connections close after this
    log_body = False  # whether request bodies (never secret for this service) are logged
    server_version = "ec2seed-emulator"
    sys_version = ""

    def log_message(self, format, *args):  # noqa: A002 (the base class's name)
        pass

    # -- connection ------------------------------------------------------------

    def setup(self):
        self.app = self.server.app
        self.service = self.server.service
        self.conn = self.server.next_connection_id()
        self.tls_failed = False
        self.app.log.event(self.service, "conn-open", self.conn,
                           peer_port=self.client_address[1])
        if self.server.tls:
            self._start_tls()
        super().setup()

    def _start_tls(self):
        fault = self.app.faults.take(self.service, None, None, connection_level=True)
        context = self.app.tls_context(wrong_host=fault is not None)
        self.request.settimeout(self.timeout)
        try:
            self.request = context.wrap_socket(self.request, server_side=True)
            self.app.log.event(self.service, "tls-ok", self.conn,
                               cert="wrong-host" if fault else "server",
                               version=self.request.version())
        except (ssl.SSLError, OSError) as error:
            self.tls_failed = True
            self.app.log.event(self.service, "tls-error", self.conn,
                               cert="wrong-host" if fault else "server", error=str(error))

    def handle(self):
        if self.tls_failed:
            return
        try:
            super().handle()
        except (ConnectionError, ssl.SSLError, socket.timeout, OSError):
            self.close_connection = True

    def finish(self):
        try:
            super().finish()
        except OSError:
            pass
        try:
            self.request.close()
        except OSError:
            pass
        self.app.log.event(self.service, "conn-close", self.conn)

    # -- requests --------------------------------------------------------------

    def do_GET(self):  # noqa: N802 (http.server's naming)
        self._dispatch()

    def do_PUT(self):  # noqa: N802
        self._dispatch()

    def do_POST(self):  # noqa: N802
        self._dispatch()

    def do_HEAD(self):  # noqa: N802
        self._dispatch()

    def do_DELETE(self):  # noqa: N802
        self._dispatch()

    def _dispatch(self):
        started = time.time()
        headers = {name: value for name, value in self.headers.items()}
        body, problem = self._read_body()
        request = Request(self.conn, self.command, self.path, self.headers, body)
        if problem is not None:
            response = problem
        else:
            response = self.answer(request)
        self._deliver(request, response, started, headers)

    def _read_body(self):
        if "chunked" in self.headers.get("Transfer-Encoding", "").lower():
            self.close_connection = True
            return b"", Response(411, b"chunked request bodies are not accepted\n",
                                 verdict="chunked-body")
        try:
            length = int(self.headers.get("Content-Length", "0"))
        except ValueError:
            self.close_connection = True
            return b"", Response(400, b"bad Content-Length\n", verdict="bad-content-length")
        if length < 0 or length > MAX_REQUEST_BODY:
            self.close_connection = True
            return b"", Response(413, b"request body too large\n", verdict="body-too-large")
        return self.rfile.read(length), None

    def answer(self, request):
        raise NotImplementedError

    # -- answers and delivery faults --------------------------------------------

    def _deliver(self, request, response, started, headers):
        fault = response.fault
        kind = fault["kind"] if fault else None
        entry = {"time": started, "service": self.service, "event": "request",
                 "conn": self.conn, "method": request.method, "path": request.path,
                 "headers": common.mask_headers(headers), "request_bytes": len(request.body),
                 "status": response.status, "verdict": response.verdict,
                 "fault": kind}
        if self.log_body:
            entry["body"] = request.body[:512].decode("utf-8", "replace")

        if kind == "latency":
            self.app.stop.wait(float(fault.get("seconds", 1.0)))
        if kind == "hang":
            # Logged first: a test reads the log while the client still waits.
            entry.update(status=None, verdict="fault:hang", end=None)
            self.app.log.write(entry)
            self.app.stop.wait(float(fault.get("seconds", 120.0)))
            self.close_connection = True
            return
        if kind == "close":
            self.close_connection = True
            entry.update(status=None, verdict="fault:close", end=time.time())
            self.app.log.write(entry)
            return

        # Logged before the answer goes out, so that the log is complete by the
        # time the client has its answer ("end": when the answer was ready).
        entry["end"] = time.time()
        self.app.log.write(entry)
        self._write(response, fault, kind)

    def _write(self, response, fault, kind):
        head = ["HTTP/1.1 %d %s" % (response.status, self._reason(response.status))]
        names = {name.lower() for name, _ in response.headers}
        if "date" not in names:
            head.append("Date: " + self.app.clock.http_date())
        head.extend("%s: %s" % (name, value) for name, value in response.headers)
        head.append("Content-Length: %d" % len(response.body))
        if self.close_connection:
            head.append("Connection: close")
        body = b"" if self.command == "HEAD" else response.body  # HEAD: headers only
        data = ("\r\n".join(head) + "\r\n\r\n").encode("latin-1") + body

        try:
            if kind == "body" and fault.get("body") == "truncated":
                # Content-Length promises the whole body; half of it comes, then EOF.
                self.wfile.write(data[:len(data) - max(1, len(response.body) // 2)])
                self.wfile.flush()
                self.close_connection = True
            elif kind == "drip":
                self._drip(data, float(fault.get("interval", 0.2)), int(fault.get("chunk", 1)))
            else:
                self.wfile.write(data)
                self.wfile.flush()
        except OSError:
            self.close_connection = True

    def _drip(self, data, interval, chunk):
        for offset in range(0, len(data), max(1, chunk)):
            self.wfile.write(data[offset:offset + chunk])
            self.wfile.flush()
            if self.app.stop.wait(interval):
                self.close_connection = True
                return

    @staticmethod
    def _reason(status):
        try:
            return http.HTTPStatus(status).phrase
        except ValueError:
            return "Status"
