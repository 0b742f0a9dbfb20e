"""The control endpoint: plain HTTP on its own loopback port, for tests only.

  POST /faults   {"faults": [...]}   add faults (see faults.py)
  POST /reset                        drop every fault
  GET  /faults                       the fault table with its counters
  POST /config   {"imds_mode": ..., "clock_offset_seconds": ..., "role": ...}
  GET  /health                       200 once the emulator is up
"""

import json

from . import faults as faults_module
from . import imds
from .server import Response, ServiceHandler


class ControlHandler(ServiceHandler):
    def answer(self, request):
        try:
            return self._route(request)
        except (ValueError, faults_module.FaultError) as error:
            return self._json(400, {"error": str(error)}, "rejected")

    def _route(self, request):
        app = self.app
        if request.path == "/health":
            return self._json(200, {"ok": True}, "health")
        if request.path == "/faults" and request.method == "GET":
            return self._json(200, {"faults": app.faults.snapshot()}, "faults")
        if request.method != "POST":
            return self._json(404, {"error": "unknown control request"}, "unknown")

        document = json.loads(request.body.decode("utf-8") or "{}")
        if request.path == "/faults":
            app.faults.add(document.get("faults", []))
            return self._json(200, {"faults": len(app.faults.snapshot())}, "faults-added")
        if request.path == "/reset":
            app.faults.clear()
            return self._json(200, {"ok": True}, "reset")
        if request.path == "/config":
            self._configure(document)
            return self._json(200, {"ok": True}, "configured")
        return self._json(404, {"error": "unknown control request"}, "unknown")

    def _configure(self, document):
        app = self.app
        if "imds_mode" in document:
            if document["imds_mode"] not in imds.MODES:
                raise ValueError("imds_mode must be one of " + ", ".join(imds.MODES))
            app.imds_mode = document["imds_mode"]
        if "clock_offset_seconds" in document:
            app.clock.set_offset(float(document["clock_offset_seconds"]))
        if "role" in document:
            app.identity.role = document["role"]
        if "v1_only_token_status" in document:
            app.v1_only_token_status = int(document["v1_only_token_status"])

    @staticmethod
    def _json(status, document, verdict):
        return Response(status, json.dumps(document), [("Content-Type", "application/json")],
                        verdict=verdict)
