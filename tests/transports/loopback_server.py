"""The loopback HTTP server the transport tests talk to. Run with /usr/bin/python3.

    loopback_server.py CERT_DIR

Makes a throwaway CA in CERT_DIR (tests/tools/testca.py), then listens on three ports
of 127.0.0.1: plain HTTP, HTTPS with a certificate for 127.0.0.1 and localhost, and
HTTPS with a certificate for another host. Prints "ports PLAIN TLS WRONG_HOST" on one
line once all three listen. It exits when its standard input closes (the test that
started it has ended) or after five minutes, whichever comes first.

Every connection gets a number, sent back as X-Connection-Id, so that tests see which
connection carried which request. Each path is one server behaviour:

  /echo                  200, JSON of the request: method, target, headers, body,
                         and the TLS server name the client sent (null if none)
  /barrier?key=K&n=N     answers only once N requests with key K are here at once
                         (504 if they are not within three seconds)
  /bytes?n=N&mode=M      N body bytes framed by M: length, chunked or close
  /status?code=C         an empty response with status C
  /redirect              302 to /echo
  /headers               a fixed header block: mixed case, repeats, padding, empty
  /interim               100 Continue, then 200
  /hang                  reads the request and never answers
  /drop                  closes the connection without answering
  /reset                 resets the connection without answering
  /malformed             a reply that is not HTTP
  /truncated             a body shorter than its Content-Length, then close
  /bad-chunk             a chunk size that is not hex
  /close-after           a normal keep-alive response, then closes the connection
  /huge-headers          a header section of about 70 KiB
  /stats                 JSON: connections accepted and requests read on this port
"""

import json
import os
import socket
import socketserver
import ssl
import struct
import sys
import threading
import time
import urllib.parse

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tools"))
import testca  # noqa: E402

LIFETIME_SECONDS = 300
BARRIER_SECONDS = 3
HANG_SECONDS = 30

_barriers = {}
_barriers_lock = threading.Lock()
_connection_ids = iter(range(1, 1 << 30))
_connection_ids_lock = threading.Lock()


def _next_connection_id():
    with _connection_ids_lock:
        return next(_connection_ids)


def _barrier(key, parties):
    with _barriers_lock:
        if key not in _barriers:
            _barriers[key] = threading.Barrier(parties)
        return _barriers[key]


def _pattern(count):
    return bytes((i * 7 + 3) % 256 for i in range(count))


class Stats:
    def __init__(self):
        self.lock = threading.Lock()
        self.connections = 0
        self.requests = 0


def _response(status, reason, headers, body=b""):
    head = "HTTP/1.1 %d %s\r\n" % (status, reason)
    for name, value in headers:
        head += "%s: %s\r\n" % (name, value)
    return head.encode("latin-1") + b"\r\n" + body


def _read_request(rfile):
    """Returns (method, target, headers, body) or None at the end of the connection."""
    line = rfile.readline(65537)
    while line in (b"\r\n", b"\n"):
        line = rfile.readline(65537)
    if not line:
        return None
    method, target, _ = line.decode("latin-1").rstrip("\r\n").split(" ", 2)
    headers = []
    while True:
        field = rfile.readline(65537)
        if field in (b"\r\n", b"\n", b""):
            break
        name, _, value = field.decode("latin-1").rstrip("\r\n").partition(":")
        headers.append([name, value.strip()])
    length = 0
    for name, value in headers:
        if name.lower() == "content-length":
            length = int(value)
    body = rfile.read(length) if length else b""
    return method, target, headers, body


class Handler(socketserver.BaseRequestHandler):
    def handle(self):
        stats = self.server.stats
        connection_id = _next_connection_id()
        with stats.lock:
            stats.connections += 1
        sock = self.request
        _handshake.server_name = None
        if self.server.tls_context is not None:
            try:
                sock = self.server.tls_context.wrap_socket(sock, server_side=True)
            except (ssl.SSLError, OSError):
                return
        else:
            # Like common HTTP servers, refuse at once a first byte that cannot start
            # a method (a TLS ClientHello starts with 0x16) rather than waiting for a
            # line end that may never come.
            try:
                first = sock.recv(1, socket.MSG_PEEK)
            except OSError:
                return
            if first and not first.isalpha():
                try:
                    sock.sendall(_response(400, "Bad Request", [("Connection", "close")]))
                    sock.close()
                except OSError:
                    pass
                return
        self.server_name = _handshake.server_name
        self.sock = sock
        rfile = sock.makefile("rb")
        try:
            while True:
                request = _read_request(rfile)
                if request is None:
                    return
                with stats.lock:
                    stats.requests += 1
                if not self.respond(connection_id, *request):
                    return
        except (OSError, ValueError, ssl.SSLError):
            return
        finally:
            try:
                sock.close()
            except OSError:
                pass

    def send(self, data):
        self.sock.sendall(data)

    def respond(self, connection_id, method, target, headers, body):
        """Answers one request; returns whether the connection stays open."""
        url = urllib.parse.urlsplit(target)
        query = dict(urllib.parse.parse_qsl(url.query))
        conn = ("X-Connection-Id", str(connection_id))
        path = url.path

        if path == "/echo":
            payload = json.dumps({"method": method, "target": target, "headers": headers,
                                  "body": body.decode("latin-1"),
                                  "server_name": self.server_name}).encode()
            self.send(_response(200, "OK", [conn, ("Content-Type", "application/json"),
                                            ("Content-Length", len(payload))], payload))
            return True

        if path == "/barrier":
            try:
                _barrier(query["key"], int(query["n"])).wait(BARRIER_SECONDS)
                status, reason = 200, "OK"
            except threading.BrokenBarrierError:
                status, reason = 504, "Gateway Timeout"
            self.send(_response(status, reason, [conn, ("Content-Length", 0)]))
            return True

        if path == "/bytes":
            count = int(query["n"])
            data = _pattern(count)
            mode = query.get("mode", "length")
            if mode == "length":
                self.send(_response(200, "OK", [conn, ("Content-Length", count)], data))
                return True
            if mode == "chunked":
                chunks = b""
                for at in range(0, count, 100):
                    piece = data[at:at + 100]
                    chunks += b"%x\r\n" % len(piece) + piece + b"\r\n"
                chunks += b"0\r\n\r\n"
                self.send(_response(200, "OK", [conn, ("Transfer-Encoding", "chunked")], chunks))
                return True
            self.send(_response(200, "OK", [conn, ("Connection", "close")], data))
            return False

        if path == "/status":
            code = int(query["code"])
            self.send(_response(code, "Status", [conn, ("Content-Length", 0)]))
            return True

        if path == "/redirect":
            self.send(_response(302, "Found", [conn, ("Location", "/echo"),
                                               ("Content-Length", 5)], b"moved"))
            return True

        if path == "/headers":
            self.send(b"HTTP/1.1 200 OK\r\nX-First: one\r\nx-MiXeD-case: Two\r\n"
                      b"X-Dup: a\r\nX-Dup: b\r\nX-Padded:   spaced value  \r\nX-Empty:\r\n"
                      b"Content-Length: 2\r\n\r\nok")
            return True

        if path == "/interim":
            self.send(b"HTTP/1.1 100 Continue\r\nX-Interim: yes\r\n\r\n"
                      b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nfinal")
            return True

        if path == "/hang":
            time.sleep(HANG_SECONDS)
            return False

        if path == "/drop":
            return False

        if path == "/reset":
            self.request.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER,
                                    struct.pack("ii", 1, 0))
            return False

        if path == "/malformed":
            self.send(b"this is not http\r\n\r\n")
            return False

        if path == "/truncated":
            self.send(b"HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\nonly ten b")
            return False

        if path == "/bad-chunk":
            self.send(b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\nab\r\n0\r\n\r\n")
            return False

        if path == "/close-after":
            self.send(_response(200, "OK", [conn, ("Content-Length", 2)], b"ok"))
            return False

        if path == "/huge-headers":
            filler = [("X-Filler-%d" % i, "f" * 1000) for i in range(70)]
            self.send(_response(200, "OK", [conn] + filler + [("Content-Length", 0)]))
            return True

        if path == "/stats":
            stats = self.server.stats
            with stats.lock:
                payload = json.dumps({"connections": stats.connections,
                                      "requests": stats.requests}).encode()
            self.send(_response(200, "OK", [conn, ("Content-Length", len(payload))], payload))
            return True

        self.send(_response(404, "Not Found", [conn, ("Content-Length", 0)]))
        return True


class Server(socketserver.ThreadingTCPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, tls_context):
        self.tls_context = tls_context
        self.stats = Stats()
        super().__init__(("127.0.0.1", 0), Handler)

    def handle_error(self, request, client_address):
        pass  # a client that gives up mid-exchange is what several tests do


# The handshake runs in the connection's own thread: its SNI is kept per thread.
_handshake = threading.local()


def _remember_server_name(_ssl_object, server_name, _context):
    _handshake.server_name = server_name


def _tls_context(cert, key):
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)
    context.sni_callback = _remember_server_name
    return context


def _exit_when_stdin_closes():
    sys.stdin.buffer.read()
    os._exit(0)


def main():
    paths = testca.make_ca(sys.argv[1])
    servers = [
        Server(None),
        Server(_tls_context(paths["cert"], paths["key"])),
        Server(_tls_context(paths["wrong_host_cert"], paths["wrong_host_key"])),
    ]
    for server in servers:
        threading.Thread(target=server.serve_forever, daemon=True).start()
    threading.Thread(target=_exit_when_stdin_closes, daemon=True).start()

    print("ports %d %d %d" % tuple(s.server_address[1] for s in servers), flush=True)
    time.sleep(LIFETIME_SECONDS)
    os._exit(0)


if __name__ == "__main__":
    main()
