"""Starting and reading the emulator from a test (the emulator's own tests, the
end-to-end tests and the boot test share this).

  with RunningEmulator(scenario={...}, served=True) as emu:
      emu.imds_url, emu.kms_url, emu.ca, emu.secrets
      emu.requests("kms")      # request log entries for one service
      emu.served_kms()         # what KMS served, in order (needs served=True)
"""

import atexit
import ctypes
import http.client
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
EMULATOR = os.path.join(HERE, "ec2seed_emulator.py")
PYTHON = "/usr/bin/python3"

# One CA for a whole test process: generating it costs a few openssl runs.
_SHARED_TLS = tempfile.mkdtemp(prefix="ec2seed-emu-tls-")

# Temporary folders this process made, removed when it exits; set
# EC2SEED_KEEP_EMULATOR_STATE=1 to keep them for a look after a failure.
_TEMPORARY = [_SHARED_TLS]


def _remove_temporary():
    if os.environ.get("EC2SEED_KEEP_EMULATOR_STATE"):
        return
    for folder in _TEMPORARY:
        shutil.rmtree(folder, ignore_errors=True)


atexit.register(_remove_temporary)


def _die_with_parent():
    """In the emulator's process: SIGTERM when the test process goes away (a ctest
    timeout kills the test; its emulator must not outlive it)."""
    pr_set_pdeathsig = 1
    ctypes.CDLL(None, use_errno=True).prctl(pr_set_pdeathsig, signal.SIGTERM, 0, 0, 0)


def clean_environment(extra=None):
    """os.environ without AWS_* and the TLS trust variables, plus extra."""
    env = {k: v for k, v in os.environ.items()
           if not k.startswith("AWS_")
           and k not in ("CURL_CA_BUNDLE", "SSL_CERT_FILE", "SSL_CERT_DIR", "JOURNAL_STREAM")}
    env.update(extra or {})
    return env


class RunningEmulator:
    def __init__(self, scenario=None, served=True, args=(), tls_dir=None):
        self._scenario = scenario or {}
        self._served = served
        self._args = list(args)
        self._tls_dir = tls_dir or _SHARED_TLS
        self.process = None
        self.info = None

    def __enter__(self):
        self.start()
        return self

    def __exit__(self, *exc):
        self.stop()

    def start(self):
        self.state_dir = tempfile.mkdtemp(prefix="ec2seed-emu-")
        _TEMPORARY.append(self.state_dir)
        scenario_path = os.path.join(self.state_dir, "scenario.json")
        with open(scenario_path, "w", encoding="utf-8") as f:
            json.dump(self._scenario, f)
        command = [PYTHON, EMULATOR, "--scenario", scenario_path, "--state-dir",
                   self.state_dir, "--tls-dir", self._tls_dir] + self._args
        if self._served:
            command += ["--served-file", os.path.join(self.state_dir, "served.jsonl")]
        self.process = subprocess.Popen(command, stdout=subprocess.PIPE,
                                        stderr=subprocess.PIPE, text=True,
                                        env=clean_environment(),
                                        preexec_fn=_die_with_parent)
        atexit.register(self.stop)
        line = self.process.stdout.readline()
        if not line:
            error = self.process.stderr.read()
            self.process.wait()
            raise RuntimeError("the emulator did not start: " + error)
        self.info = json.loads(line)
        with open(self.info["secrets"], encoding="utf-8") as f:
            self.secrets = json.load(f)
        return self

    def stop(self):
        """SIGTERM, then wait; returns the exit status."""
        if self.process is None or self.process.poll() is not None:
            return self.process.returncode if self.process else None
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        self.process.stdout.close()
        self.process.stderr.close()
        return self.process.returncode

    # -- addresses -------------------------------------------------------------

    @property
    def imds_url(self):
        return self.info["imds_url"]

    @property
    def kms_url(self):
        return self.info["kms_url"]

    @property
    def ca(self):
        return self.info["ca"]

    @property
    def region(self):
        return self.info["region"]

    # -- control ---------------------------------------------------------------

    def control(self, method, path, document=None):
        connection = http.client.HTTPConnection("127.0.0.1", self.info["control_port"],
                                                timeout=10)
        body = json.dumps(document) if document is not None else None
        connection.request(method, path, body=body,
                           headers={"Content-Type": "application/json"})
        response = connection.getresponse()
        answer = json.loads(response.read() or b"{}")
        connection.close()
        if response.status != 200:
            raise RuntimeError("control %s %s: %d %s" % (method, path, response.status, answer))
        return answer

    def add_faults(self, *faults):
        return self.control("POST", "/faults", {"faults": list(faults)})

    # -- records ---------------------------------------------------------------

    @staticmethod
    def _read_lines(path):
        if not path or not os.path.exists(path):
            return []
        with open(path, encoding="utf-8") as f:
            return [json.loads(line) for line in f if line.strip()]

    def log(self):
        return self._read_lines(self.info["log"])

    def log_text(self):
        with open(self.info["log"], encoding="utf-8") as f:
            return f.read()

    def requests(self, service):
        return [e for e in self.log() if e["service"] == service and e["event"] == "request"]

    def events(self, service, kind):
        return [e for e in self.log() if e["service"] == service and e["event"] == kind]

    def served(self):
        return self._read_lines(self.info.get("served"))

    def served_kms(self):
        return [s for s in self.served() if s["service"] == "kms"]

    def served_imds_value(self, path):
        """The last value served at path (bytes), or None."""
        found = None
        for entry in self.served():
            if entry["service"] == "imds" and entry.get("path") == path and "value_hex" in entry \
                    and not entry.get("broken"):
                found = bytes.fromhex(entry["value_hex"])
        return found

    def imds_tokens(self):
        return [s["token"] for s in self.served() if s["service"] == "imds" and "token" in s]

    def wait_for_log(self, predicate, timeout=5.0):
        """Waits until some log entry satisfies predicate; returns it or None."""
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            for entry in self.log():
                if predicate(entry):
                    return entry
            time.sleep(0.05)
        return None


if __name__ == "__main__":
    sys.exit("import this module from a test")
