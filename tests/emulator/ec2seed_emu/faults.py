"""The fault table: which requests to break, how, and how many times.

A fault is a JSON object:

  {"service": "imds" | "kms",
   "kind": see KINDS,
   "path": "/latest/meta-data/mac"   exact, or a prefix ending in "*"; default any
   "method": "PUT",                  default any
   "after": K,                       let the first K matching requests through
   "count": N,                       then break the next N (default 1; -1: all)
   ...kind-specific fields}

Kinds, applied to a request that matches:
  latency  {"seconds": S}                     answer normally, S seconds late
  status   {"status": C, "body": "..."}       answer C with this body
  error    {"preset": "throttling" | "internal" | "access-denied"}
           or {"type": T, "message": M, "status": C}   a KMS JSON error
  hang     {"seconds": S}                     read the request, never answer
                                              (close after S, default 120)
  drip     {"interval": S, "chunk": B}        answer normally, B bytes every S
  close                                       close the connection, no answer
  body     {"body": "wrong-length" | "invalid-json" | "invalid-base64" |
            "truncated" | "huge" | "all-zero" | "repeat" | "empty"}
  expire-token                                IMDS: the token presented has just
                                              expired (401; the token is forgotten)
Connection-level kind (matched once per new TLS connection, not per request):
  wrong-host-cert                             present a certificate for another host
"""

import threading

KINDS = ("latency", "status", "error", "hang", "drip", "close", "body", "expire-token",
         "wrong-host-cert")

BODY_KINDS = ("wrong-length", "invalid-json", "invalid-base64", "truncated", "huge",
              "all-zero", "repeat", "empty")

# KMS errors as the service sends them: (status, __type, message).
ERROR_PRESETS = {
    "throttling": (400, "ThrottlingException", "Rate exceeded"),
    "internal": (500, "KMSInternalException",
                 "The request was rejected because an internal exception occurred."),
    "access-denied": (400, "AccessDeniedException",
                      "User: arn:aws:sts::111122223333:assumed-role/ec2seed-test-role/"
                      "i-0123456789abcdef0 is not authorized to perform: kms:GenerateRandom "
                      "because no identity-based policy allows the kms:GenerateRandom action"),
}


class FaultError(ValueError):
    """A fault description the emulator does not understand."""


def validate(fault):
    """Checks one fault description; raises FaultError naming what is wrong."""
    if not isinstance(fault, dict):
        raise FaultError("a fault must be a JSON object")
    if fault.get("service") not in ("imds", "kms"):
        raise FaultError("fault service must be imds or kms: %r" % fault.get("service"))
    kind = fault.get("kind")
    if kind not in KINDS:
        raise FaultError("unknown fault kind %r (known: %s)" % (kind, ", ".join(KINDS)))
    if kind == "body" and fault.get("body") not in BODY_KINDS:
        raise FaultError("unknown body fault %r (known: %s)"
                         % (fault.get("body"), ", ".join(BODY_KINDS)))
    if kind == "error" and "preset" in fault and fault["preset"] not in ERROR_PRESETS:
        raise FaultError("unknown error preset %r" % fault["preset"])
    if kind == "status" and not isinstance(fault.get("status"), int):
        raise FaultError("a status fault needs an integer status")
    if kind == "wrong-host-cert" and fault["service"] != "kms":
        raise FaultError("wrong-host-cert applies to kms only")
    for key in ("after", "count"):
        if key in fault and not isinstance(fault[key], int):
            raise FaultError("%s must be an integer" % key)


def error_of(fault):
    """The (status, __type, message) a KMS error fault answers with."""
    if "preset" in fault:
        return ERROR_PRESETS[fault["preset"]]
    return (int(fault.get("status", 400)), fault.get("type", "KMSInternalException"),
            fault.get("message", "emulated error"))


class FaultTable:
    """Faults in the order given; the first one that matches a request applies."""

    def __init__(self, faults=()):
        self._lock = threading.Lock()
        self._faults = []
        self.add(faults)

    def add(self, faults):
        for fault in faults:
            validate(fault)
        with self._lock:
            for fault in faults:
                entry = dict(fault)
                entry.setdefault("after", 0)
                entry.setdefault("count", 1)
                entry["seen"] = 0
                entry["applied"] = 0
                self._faults.append(entry)

    def clear(self):
        with self._lock:
            self._faults = []

    def snapshot(self):
        with self._lock:
            return [dict(f) for f in self._faults]

    def take(self, service, method, path, connection_level=False):
        """The fault to apply to this request (or new connection), or None.

        Counts the request against every fault it matches, so that "after" and
        "count" refer to matching requests; returns the first one whose turn it is.
        """
        chosen = None
        with self._lock:
            for fault in self._faults:
                if not self._matches(fault, service, method, path, connection_level):
                    continue
                fault["seen"] += 1
                if chosen is not None or fault["seen"] <= fault["after"]:
                    continue
                if fault["count"] >= 0 and fault["applied"] >= fault["count"]:
                    continue
                fault["applied"] += 1
                chosen = dict(fault)
        return chosen

    @staticmethod
    def _matches(fault, service, method, path, connection_level):
        if fault["service"] != service:
            return False
        if (fault["kind"] == "wrong-host-cert") != connection_level:
            return False
        if connection_level:
            return True
        if "method" in fault and fault["method"] != method:
            return False
        pattern = fault.get("path")
        if pattern is None:
            return True
        if pattern.endswith("*"):
            return path.startswith(pattern[:-1])
        return path == pattern
