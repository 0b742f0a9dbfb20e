#!/usr/bin/python3
"""Runs the local IMDS + KMS emulator until SIGTERM.

  /usr/bin/python3 tests/emulator/ec2seed_emulator.py [--scenario FILE] [options]

Binds 127.0.0.1 only. When ready it prints one JSON line on stdout:

  {"imds_port": P, "kms_port": P, "control_port": P, "ca": "/.../ca.pem",
   "log": "/.../requests.jsonl", "served": null | "/.../served.jsonl",
   "secrets": "/.../secrets.json", "region": "us-east-1", "pid": N, ...}

secrets.json holds the role's credentials the emulator hands out (tests need them
to check that ec2seed never prints them). A scenario file is a JSON object:

  {"imds_mode": "token-required" | "token-optional" | "v1-only",
   "v1_only_token_status": 403, "region": "us-east-1", "role": "name" | null,
   "clock_offset_seconds": 0, "refuse_seconds": {"imds": 0, "kms": 0},
   "faults": [...]}                       (faults: see ec2seed_emu/faults.py)

Command-line options override the scenario.
"""

import argparse
import json
import os
import secrets
import signal
import ssl
import string
import sys
import tempfile
import threading

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "tools"))

import testca  # noqa: E402  (tests/tools, found through the path above)
from ec2seed_emu import common, control, faults, imds, kms, server  # noqa: E402

DEFAULT_ROLE = "ec2seed-test-role"


def _parse_args(argv):
    parser = argparse.ArgumentParser(description="Local IMDS + KMS emulator for ec2seed")
    parser.add_argument("--scenario", help="JSON scenario file")
    parser.add_argument("--state-dir", help="where the log and secrets go (default: a new "
                        "temporary directory)")
    parser.add_argument("--tls-dir", help="where the CA and certificates go; reused when it "
                        "already holds them for the same hosts (default: STATE/tls)")
    parser.add_argument("--cert-host", action="append", default=[],
                        help="an extra host name or IP the KMS certificate carries "
                        "(repeatable; 127.0.0.1 and localhost are always there)")
    parser.add_argument("--imds-port", type=int, default=0)
    parser.add_argument("--kms-port", type=int, default=0)
    parser.add_argument("--control-port", type=int, default=0)
    parser.add_argument("--imds-mode", choices=imds.MODES)
    parser.add_argument("--v1-only-token-status", type=int)
    parser.add_argument("--region")
    parser.add_argument("--role", help="the instance role's name")
    parser.add_argument("--no-role", action="store_true", help="no role attached: the "
                        "credentials listing answers 404")
    parser.add_argument("--clock-offset", type=float, help="seconds added to the "
                        "emulator's clock (the clock-skew fault)")
    parser.add_argument("--refuse-imds-seconds", type=float)
    parser.add_argument("--refuse-kms-seconds", type=float)
    parser.add_argument("--served-file", help="also record served values (KMS plaintext, "
                        "IMDS values and tokens) here, for tests")
    return parser.parse_args(argv)


def _load_scenario(args):
    scenario = {}
    if args.scenario:
        with open(args.scenario, encoding="utf-8") as f:
            scenario = json.load(f)
    refuse = dict(scenario.get("refuse_seconds", {}))
    if args.refuse_imds_seconds is not None:
        refuse["imds"] = args.refuse_imds_seconds
    if args.refuse_kms_seconds is not None:
        refuse["kms"] = args.refuse_kms_seconds
    role = scenario.get("role", DEFAULT_ROLE)
    if args.role:
        role = args.role
    if args.no_role:
        role = None
    return {
        "imds_mode": args.imds_mode or scenario.get("imds_mode", "token-required"),
        "v1_only_token_status": args.v1_only_token_status
        or scenario.get("v1_only_token_status", 403),
        "region": args.region or scenario.get("region", "us-east-1"),
        "role": role,
        "clock_offset_seconds": args.clock_offset if args.clock_offset is not None
        else scenario.get("clock_offset_seconds", 0),
        "refuse_seconds": refuse,
        "faults": scenario.get("faults", []),
    }


def _make_credentials():
    alphabet = string.ascii_letters + string.digits
    return {
        "access_key_id": "ASIA" + "".join(secrets.choice(string.ascii_uppercase + "234567")
                                          for _ in range(16)),
        "secret_access_key": "".join(secrets.choice(alphabet + "/+") for _ in range(40)),
        "session_token": "IQoJb3JpZ2luX2VjE" + "".join(secrets.choice(alphabet)
                                                       for _ in range(300)),
    }


def _tls_files(tls_dir, hosts):
    stamp = os.path.join(tls_dir, "hosts.json")
    try:
        with open(stamp, encoding="utf-8") as f:
            if json.load(f) == hosts and os.path.exists(os.path.join(tls_dir, "server.key")):
                return {
                    "ca": os.path.join(tls_dir, "ca.pem"),
                    "cert": os.path.join(tls_dir, "server.pem"),
                    "key": os.path.join(tls_dir, "server.key"),
                    "wrong_host_cert": os.path.join(tls_dir, "wrong-host.pem"),
                    "wrong_host_key": os.path.join(tls_dir, "wrong-host.key"),
                }
    except (OSError, ValueError):
        pass
    files = testca.make_ca(tls_dir, hosts)
    with open(stamp, "w", encoding="utf-8") as f:
        json.dump(hosts, f)
    return files


class Emulator:
    """Everything the handlers share (handlers reach it as server.app)."""

    def __init__(self, args):
        settings = _load_scenario(args)
        self.state_dir = os.path.abspath(args.state_dir or tempfile.mkdtemp(prefix="ec2seed-emu-"))
        os.makedirs(self.state_dir, exist_ok=True)
        tls_dir = os.path.abspath(args.tls_dir or os.path.join(self.state_dir, "tls"))

        hosts = ["127.0.0.1", "localhost"] + [h for h in args.cert_host
                                              if h not in ("127.0.0.1", "localhost")]
        self.tls = _tls_files(tls_dir, hosts)
        self._contexts = {False: self._context(self.tls["cert"], self.tls["key"]),
                          True: self._context(self.tls["wrong_host_cert"],
                                              self.tls["wrong_host_key"])}

        self.stop = threading.Event()
        self.log_path = os.path.join(self.state_dir, "requests.jsonl")
        self.log = common.RequestLog(self.log_path)
        self.served_path = os.path.abspath(args.served_file) if args.served_file else None
        self.served = common.ServedLog(self.served_path)
        self.clock = common.Clock(settings["clock_offset_seconds"])
        self.faults = faults.FaultTable(settings["faults"])

        self.imds_mode = settings["imds_mode"]
        self.v1_only_token_status = settings["v1_only_token_status"]
        self.region = settings["region"]
        self.credentials = _make_credentials()
        self.secrets_path = os.path.join(self.state_dir, "secrets.json")
        with open(os.open(self.secrets_path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600),
                  "w", encoding="utf-8") as f:
            json.dump(self.credentials, f)
        self.identity = imds.InstanceIdentity(self.region, settings["role"], self.credentials,
                                              self.clock)
        self.tokens = imds.TokenStore()
        self.kms = kms.KmsService()
        self.verifier = kms.SignatureVerifier(self.credentials, self.region, self.clock)

        refuse = settings["refuse_seconds"]
        self.servers = [
            server.EmulatorServer("imds", imds.ImdsHandler, self, args.imds_port,
                                  refuse_seconds=refuse.get("imds", 0)),
            server.EmulatorServer("kms", kms.KmsHandler, self, args.kms_port, tls=True,
                                  refuse_seconds=refuse.get("kms", 0)),
            server.EmulatorServer("control", control.ControlHandler, self, args.control_port),
        ]

    @staticmethod
    def _context(cert, key):
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.minimum_version = ssl.TLSVersion.TLSv1_2
        context.load_cert_chain(cert, key)
        return context

    def tls_context(self, wrong_host):
        return self._contexts[bool(wrong_host)]

    def ready_line(self):
        imds_server, kms_server, control_server = self.servers
        return {
            "imds_port": imds_server.port,
            "kms_port": kms_server.port,
            "control_port": control_server.port,
            "imds_url": "http://127.0.0.1:%d" % imds_server.port,
            "kms_url": "https://127.0.0.1:%d" % kms_server.port,
            "ca": self.tls["ca"],
            "log": self.log_path,
            "served": self.served_path,
            "secrets": self.secrets_path,
            "state_dir": self.state_dir,
            "region": self.region,
            "role": self.identity.role,
            "imds_mode": self.imds_mode,
            "pid": os.getpid(),
        }

    def run(self):
        for one in self.servers:
            one.start(self.stop)
        print(json.dumps(self.ready_line()), flush=True)
        threading.Thread(target=kms.preload_botocore, daemon=True).start()
        self.stop.wait()
        server.EmulatorServer.stop_all(self.servers)
        self.log.close()
        self.served.close()


def main(argv):
    args = _parse_args(argv)
    try:
        emulator = Emulator(args)
    except (OSError, ValueError, faults.FaultError) as error:
        print("ec2seed-emulator: %s" % error, file=sys.stderr)
        return 2

    def on_signal(_signum, _frame):
        emulator.stop.set()

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    emulator.run()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
