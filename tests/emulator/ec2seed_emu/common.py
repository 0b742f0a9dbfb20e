"""The emulator's records and its clock.

RequestLog writes one JSON object a line for every connection event and request.
Secret header values never reach it: the IMDS token and the session token are
replaced by their length, the Authorization signature by a marker. ServedLog, kept
only when a test asks for it, holds what the emulator served (KMS plaintext, IMDS
values and tokens) so that a test can compare ec2seed's output byte for byte; it
is a separate file that the request log never points into.
"""

import datetime
import email.utils
import json
import re
import threading
import time

# Header names whose values are secret (compared lower-case).
_SECRET_HEADERS = ("x-aws-ec2-metadata-token", "x-amz-security-token")

_SIGNATURE_RE = re.compile(r"(Signature=)[0-9A-Za-z]*")


def mask_headers(headers):
    """Returns the headers as a list of [name, value] with secrets masked."""
    masked = []
    for name, value in headers.items():
        lname = name.lower()
        if lname in _SECRET_HEADERS:
            value = "<masked %d chars>" % len(value)
        elif lname == "authorization":
            value = _SIGNATURE_RE.sub(r"\1<masked>", value)
        masked.append([name, value])
    return masked


class JsonLines:
    """An append-only JSON-lines file, safe to write from many threads."""

    def __init__(self, path):
        self.path = path
        self._lock = threading.Lock()
        self._file = open(path, "a", encoding="utf-8")

    def write(self, entry):
        line = json.dumps(entry, sort_keys=True)
        with self._lock:
            if self._file.closed:
                return
            self._file.write(line + "\n")
            self._file.flush()

    def close(self):
        with self._lock:
            self._file.close()


class RequestLog(JsonLines):
    """Connection events and requests, secrets masked (see mask_headers)."""

    def event(self, service, kind, conn, **fields):
        entry = {"time": time.time(), "service": service, "event": kind, "conn": conn}
        entry.update(fields)
        self.write(entry)


class ServedLog:
    """What the emulator served, for tests; a no-op unless a path was given."""

    def __init__(self, path):
        self._lines = JsonLines(path) if path else None

    def record(self, **fields):
        if self._lines is not None:
            fields["time"] = time.time()
            self._lines.write(fields)

    def close(self):
        if self._lines is not None:
            self._lines.close()


class Clock:
    """The emulator's wall clock: real time plus an offset (the clock-skew fault)."""

    def __init__(self, offset_seconds=0.0):
        self._lock = threading.Lock()
        self._offset = float(offset_seconds)

    def set_offset(self, seconds):
        with self._lock:
            self._offset = float(seconds)

    def now(self):
        """Seconds since the epoch, as this server believes."""
        with self._lock:
            return time.time() + self._offset

    def utcnow(self):
        return datetime.datetime.fromtimestamp(self.now(), tz=datetime.timezone.utc)

    def http_date(self):
        """The Date header value (RFC 7231 IMF-fixdate)."""
        return email.utils.formatdate(self.now(), usegmt=True)
