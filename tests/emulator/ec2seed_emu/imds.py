"""The instance metadata service, as the EC2 user guide describes IMDSv2.

Token rules (EC2 user guide, "Use the Instance Metadata Service to access
instance metadata"):
  - PUT /latest/api/token with X-aws-ec2-metadata-token-ttl-seconds 1..21600;
    a missing or out-of-range TTL is 400; a request carrying X-Forwarded-For is
    403 (IMDS refuses tokens to requests that went through a proxy);
  - mode token-required (HttpTokens=required): a GET without a valid token is 401;
  - mode token-optional: a GET without a token is served, one with an invalid or
    expired token is 401;
  - mode v1-only: an IMDS that knows no tokens; the PUT gets v1_only_token_status
    (403 by default) and GETs are served whatever they carry.
"""

import base64
import datetime
import json
import os
import secrets
import threading
import time

from .server import Response, ServiceHandler

MODES = ("token-required", "token-optional", "v1-only")

TOKEN_PATH = "/latest/api/token"
TTL_HEADER = "X-aws-ec2-metadata-token-ttl-seconds"
TOKEN_HEADER = "X-aws-ec2-metadata-token"

# IMDS token TTL: 1..21600 seconds (six hours).
MIN_TTL, MAX_TTL = 1, 21600

# The identity document signature is served as base64 in lines of 64 characters.
SIGNATURE_LINE = 64


def _wrap(text, width):
    return "\n".join(text[i:i + width] for i in range(0, len(text), width))


def _iso8601(moment):
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


class InstanceIdentity:
    """The metadata values of one emulated instance, random per emulator run."""

    def __init__(self, region, role, credentials, clock):
        self.region = region
        self.role = role
        self.credentials = credentials
        self.instance_id = "i-" + secrets.token_hex(9)[:17]
        self.local_ipv4 = "10.%d.%d.%d" % tuple(os.urandom(3))
        mac = bytes([0x0e]) + os.urandom(5)
        self.mac = ":".join("%02x" % b for b in mac)
        self.signature_bytes = os.urandom(256)
        now = clock.utcnow()
        self.document = json.dumps({
            "accountId": "111122223333",
            "architecture": "x86_64",
            "availabilityZone": region + "a",
            "imageId": "ami-0123456789abcdef0",
            "instanceId": self.instance_id,
            "instanceType": "t3.micro",
            "pendingTime": _iso8601(now),
            "privateIp": self.local_ipv4,
            "region": region,
            "version": "2017-09-30",
        }, indent=2)
        self._clock = clock

    @property
    def signature_text(self):
        return _wrap(base64.b64encode(self.signature_bytes).decode("ascii"), SIGNATURE_LINE)

    def credentials_document(self):
        now = self._clock.utcnow()
        return json.dumps({
            "Code": "Success",
            "LastUpdated": _iso8601(now),
            "Type": "AWS-HMAC",
            "AccessKeyId": self.credentials["access_key_id"],
            "SecretAccessKey": self.credentials["secret_access_key"],
            "Token": self.credentials["session_token"],
            "Expiration": _iso8601(now + datetime.timedelta(hours=6)),
        }, indent=2)

    def values(self):
        """Path -> value for every metadata path served (credentials excluded)."""
        values = {
            "/latest/meta-data/instance-id": self.instance_id,
            "/latest/meta-data/local-ipv4": self.local_ipv4,
            "/latest/meta-data/mac": self.mac,
            "/latest/meta-data/placement/region": self.region,
            "/latest/meta-data/placement/availability-zone": self.region + "a",
            "/latest/dynamic/instance-identity/document": self.document,
            "/latest/dynamic/instance-identity/signature": self.signature_text,
        }
        return values


class TokenStore:
    """Issued IMDS tokens and when each expires (monotonic seconds)."""

    def __init__(self):
        self._lock = threading.Lock()
        self._tokens = {}

    def issue(self, ttl):
        token = base64.b64encode(b"AQAEA" + os.urandom(42)).decode("ascii")
        with self._lock:
            self._tokens[token] = time.monotonic() + ttl
        return token

    def valid(self, token):
        with self._lock:
            expiry = self._tokens.get(token)
            if expiry is None:
                return False
            if time.monotonic() >= expiry:
                del self._tokens[token]
                return False
            return True

    def expire(self, token):
        with self._lock:
            self._tokens.pop(token, None)


class ImdsHandler(ServiceHandler):
    """Answers IMDS requests; faults are taken before anything else is checked."""

    def answer(self, request):
        app = self.app
        path = request.path.split("?", 1)[0]
        fault = app.faults.take("imds", request.method, path)
        kind = fault["kind"] if fault else None

        if kind == "status":
            return Response(fault["status"], fault.get("body", ""),
                            [("Content-Type", "text/plain")],
                            verdict="fault:status", fault=fault)

        if path == TOKEN_PATH:
            response = self._token(request)
        else:
            response = self._metadata(request, path, kind == "expire-token")
        body_fault = kind == "body" and response.status == 200
        if response.status == 200 and path != TOKEN_PATH and not body_fault and \
                response.verdict != "credentials":
            app.served.record(service="imds", path=path, value_hex=response.body.hex(),
                              broken=False)
        if fault is not None and kind != "expire-token":
            response.fault = fault
            response.verdict = "fault:%s" % kind
            if body_fault:
                response.body = self._broken_body(response.body, fault["body"])
                delivered = response.body
                if fault["body"] == "truncated":  # as server.py cuts it
                    delivered = delivered[:len(delivered) - max(1, len(delivered) // 2)]
                app.served.record(service="imds", path=path, broken=True, how=fault["body"],
                                  value_hex=delivered[:1024].hex())
        return response

    def _token(self, request):
        app = self.app
        if request.method != "PUT":
            return Response(405, "", [("Allow", "PUT")], verdict="token-method")
        # IMDS refuses a token to any request that carries X-Forwarded-For.
        if request.headers.get("X-Forwarded-For") is not None:
            return Response(403, "", verdict="token-forwarded")
        if app.imds_mode == "v1-only":
            return Response(app.v1_only_token_status, "", verdict="token-unsupported")
        ttl_text = request.headers.get(TTL_HEADER)
        try:
            ttl = int(ttl_text) if ttl_text is not None else None
        except ValueError:
            ttl = None
        # IMDSv2: X-aws-ec2-metadata-token-ttl-seconds must be 1..21600.
        if ttl is None or not MIN_TTL <= ttl <= MAX_TTL:
            return Response(400, "", verdict="token-bad-ttl")

        token = app.tokens.issue(ttl)
        app.served.record(service="imds", path=TOKEN_PATH, token=token)
        return Response(200, token, [("Content-Type", "text/plain"), (TTL_HEADER, str(ttl))],
                        verdict="token-issued")

    def _metadata(self, request, path, expire_now):
        app = self.app
        if request.method not in ("GET", "HEAD"):
            return Response(405, "", [("Allow", "GET, HEAD")], verdict="method")

        token = request.headers.get(TOKEN_HEADER)
        if expire_now and token is not None:
            app.tokens.expire(token)
            return Response(401, "", verdict="fault:expire-token",
                            fault={"kind": "expire-token"})
        if app.imds_mode != "v1-only":
            if token is None and app.imds_mode == "token-required":
                return Response(401, "", verdict="token-missing")
            if token is not None and not app.tokens.valid(token):
                return Response(401, "", verdict="token-invalid")

        value = self._lookup(path)
        if value is None:
            return Response(404, "<?xml version=\"1.0\" encoding=\"iso-8859-1\"?>\n"
                            "<title>404 - Not Found</title>\n",
                            [("Content-Type", "text/html")], verdict="not-found")
        content_type = "application/json" if path.endswith("/document") else "text/plain"
        if "/iam/security-credentials/" in path and not path.endswith("/"):
            return Response(200, value, [("Content-Type", "text/plain")],
                            verdict="credentials")
        verdict = "ok-v1" if token is None else "ok"
        return Response(200, value, [("Content-Type", content_type)], verdict=verdict)

    def _lookup(self, path):
        identity = self.app.identity
        values = identity.values()
        if path in values:
            return values[path]
        listing = "/latest/meta-data/iam/security-credentials"
        if path in (listing, listing + "/"):
            return identity.role  # None (no role attached): 404
        if identity.role and path == "%s/%s" % (listing, identity.role):
            return identity.credentials_document()
        return None

    def _broken_body(self, body, how):
        if how == "huge":
            return b"x" * (10 * 1024 * 1024)
        if how == "empty":
            return b""
        if how == "invalid-json":
            return body[:len(body) // 2]
        return body  # truncated: cut at delivery; the others apply to KMS only
