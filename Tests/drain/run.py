"""Graceful drain, end to end: `gatehouse serve --drain-seconds 4` under load from wrk gets SIGTERM.
A provider written here answers introspection slowly (1.5 s), so a request can be in flight when
the listener closes. Shown:

- from SIGTERM, /readyz is 503 (`draining`) at once, /healthz stays 200, /metrics says draining;
- over gRPC (`--grpc-listen`), grpc.health.v1 says SERVING before and NOT_SERVING from SIGTERM (a
  Watch opened before sees both, and ends when the server stops), and Check is still answered
  through the drain;
- the load goes on through the drain with 0 failed requests, every answer logged;
- when the drain ends the listener closes (a new connection is refused) and the request in flight
  is still answered, 200 as its user; the process then exits 0.

Usage: run.py --gatehouse BIN     Prints `drain: N passed, N failed`.
"""
import argparse
import http.client
import http.server
import json
import os
import pathlib
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time

ROOT = pathlib.Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "Tests/support"))
from harness import Tally, get, stop, wait_port, wrk_result, wrk_start  # noqa: E402

import grpc  # noqa: E402
from envoy.service.auth.v3 import external_auth_pb2, external_auth_pb2_grpc  # noqa: E402
from grpc_health.v1 import health_pb2, health_pb2_grpc  # noqa: E402

GATEHOUSE, PROVIDER, GRPC = 19160, 19162, 19163
DRAIN, SLOW, LOAD = 4.0, 1.5, 3
ISSUER = f"http://127.0.0.1:{PROVIDER}"

POLICY = f"""version: 1
name: drain-test
providers:
  slow:
    kind: oidc
    issuer: {ISSUER}
    verify: introspection
    client_id: gatehouse
    client_secret: {{ env: DRAIN_CLIENT_SECRET }}
    audiences: [drain-api]
    claims: {{ username: sub }}
schemes: [bearer]
upstream_headers:
  X-Auth-User: username
rules:
  - id: public
    match: {{ path: /public/** }}
    allow: anyone
  - id: api
    match: {{ path: /api/** }}
    require: authenticated
default: deny
"""


class SlowProvider(http.server.BaseHTTPRequestHandler):
    """Discovery at once; every introspection answered after SLOW seconds, active, for `drain-api`."""

    def do_GET(self):
        self.answer({"issuer": ISSUER, "introspection_endpoint": f"{ISSUER}/introspect"})

    def do_POST(self):
        self.rfile.read(int(self.headers.get("Content-Length", "0")))
        time.sleep(SLOW)
        self.answer({"active": True, "sub": "slow-user", "aud": "drain-api", "exp": int(time.time()) + 600})

    def answer(self, document):
        body = json.dumps(document).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


def refused(port):
    with socket.socket() as s:
        s.settimeout(2)
        return s.connect_ex(("127.0.0.1", port)) != 0


def slow_request(result):
    """A check whose opaque token the provider takes SLOW seconds to introspect."""
    connection = http.client.HTTPConnection("127.0.0.1", GATEHOUSE, timeout=10)
    try:
        connection.request("GET", "/v1/auth/nginx", headers={
            "X-Original-URI": "/api/things", "X-Original-Method": "GET", "Authorization": "Bearer opaque-in-flight"})
        response = connection.getresponse()
        result["answer"] = (response.status, response.getheader("X-Auth-User"))
    except (OSError, http.client.HTTPException) as error:
        result["answer"] = (None, str(error))
    finally:
        connection.close()


def grpc_health(channel):
    return health_pb2_grpc.HealthStub(channel).Check(health_pb2.HealthCheckRequest(), timeout=5).status


def grpc_check(channel):
    """The gRPC door's answer for a public path: True when OK."""
    request = external_auth_pb2.CheckRequest()
    request.attributes.request.http.method = "GET"
    request.attributes.request.http.path = "/public/docs"
    return external_auth_pb2_grpc.AuthorizationStub(channel).Check(request, timeout=5).HasField("ok_response")


def watch(channel, seen):
    """Every status a Watch stream gives, until it ends."""
    try:
        for response in health_pb2_grpc.HealthStub(channel).Watch(health_pb2.HealthCheckRequest(), timeout=30):
            seen.append(response.status)
        seen.append("ended")
    except grpc.RpcError as error:
        seen.append(error.code())


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--gatehouse", required=True)
    args = parser.parse_args()
    tally = Tally("drain")
    workdir = pathlib.Path(tempfile.mkdtemp(prefix="gatehouse-drain-"))
    (workdir / "policy.yaml").write_text(POLICY)
    provider = http.server.ThreadingHTTPServer(("127.0.0.1", PROVIDER), SlowProvider)
    threading.Thread(target=provider.serve_forever, daemon=True).start()
    log = workdir / "decisions.jsonl"
    gatehouse = subprocess.Popen(
        [args.gatehouse, "serve", str(workdir / "policy.yaml"), "--listen", f"127.0.0.1:{GATEHOUSE}",
         "--drain-seconds", str(int(DRAIN)), "--decision-log", str(log), "--grpc-listen", f"127.0.0.1:{GRPC}"],
        env=dict(os.environ, DRAIN_CLIENT_SECRET="drain-secret"),
        stdout=open(workdir / "gatehouse.log", "w"), stderr=subprocess.STDOUT)
    load = None
    try:
        if not wait_port(GATEHOUSE):
            raise RuntimeError("gatehouse did not start")
        tally.check(get(GATEHOUSE, "/readyz")[0] == 200, "ready before SIGTERM")
        channel = grpc.insecure_channel(f"127.0.0.1:{GRPC}")
        tally.check(grpc_health(channel) == health_pb2.HealthCheckResponse.SERVING, "gRPC health: SERVING before SIGTERM")
        watched = []
        watcher = threading.Thread(target=watch, args=(grpc.insecure_channel(f"127.0.0.1:{GRPC}"), watched))
        watcher.start()
        load = wrk_start(f"http://127.0.0.1:{GATEHOUSE}/v1/auth/nginx",
                         {"X-Original-URI": "/public/docs", "X-Original-Method": "GET"}, 8, LOAD)
        time.sleep(0.5)
        gatehouse.send_signal(signal.SIGTERM)
        terminated = time.monotonic()
        time.sleep(0.2)
        status, _, body = get(GATEHOUSE, "/readyz")
        tally.check(status == 503 and json.loads(body).get("status") == "draining",
                    f"from SIGTERM /readyz is 503, draining ({status} {body[:80]!r})")
        tally.check(get(GATEHOUSE, "/healthz")[0] == 200, "/healthz stays 200 while draining")
        metrics = get(GATEHOUSE, "/metrics")[2].decode()
        tally.check("gatehouse_draining 1" in metrics, "/metrics says the server is draining")
        tally.check(grpc_health(channel) == health_pb2.HealthCheckResponse.NOT_SERVING,
                    "gRPC health: NOT_SERVING from SIGTERM")
        tally.check(grpc_check(channel), "gRPC Check is still answered while draining")
        result = wrk_result(load)
        load = None
        failed = sum(result[key] for key in ["connect", "read", "write", "status", "timeout"])
        logged = len(log.read_text().splitlines())
        tally.check(result["requests"] > 0 and failed == 0,
                    f"the load goes on through the drain: {result['requests']} requests, {failed} failed ({result})")
        tally.check(logged >= result["requests"], f"every answer is logged ({logged} lines)")
        tally.check(gatehouse.poll() is None, "still serving when the load ends, inside the drain")
        # Begin a slow check shortly before the drain ends: it is in flight when the listener closes.
        time.sleep(max(0, DRAIN - 0.8 - (time.monotonic() - terminated)))
        answer = {}
        slow = threading.Thread(target=slow_request, args=(answer,))
        slow.start()
        time.sleep(max(0, DRAIN + 0.3 - (time.monotonic() - terminated)))
        tally.check(refused(GATEHOUSE) and slow.is_alive(),
                    "when the drain ends the listener is closed while a request is in flight")
        slow.join(timeout=10)
        tally.check(answer.get("answer") == (200, "slow-user"),
                    f"the request in flight is answered after the listener closed ({answer.get('answer')})")
        code = gatehouse.wait(timeout=15)
        took = time.monotonic() - terminated
        tally.check(code == 0, f"the process exits 0 ({code}), {took:.1f} s after SIGTERM")
        watcher.join(timeout=5)
        serving, not_serving = health_pb2.HealthCheckResponse.SERVING, health_pb2.HealthCheckResponse.NOT_SERVING
        tally.check(watched[:2] == [serving, not_serving] and len(watched) == 3 and took < DRAIN + SLOW + 3,
                    f"a gRPC health Watch sees SERVING, then NOT_SERVING, and ends as the server stops ({watched})")
        print(f"drain: {result['requests']} requests under load across SIGTERM, 0 failed; exited {took:.1f} s after SIGTERM"
              f" (drain {DRAIN:.0f} s, the slow request {SLOW} s)")
    finally:
        if load is not None:
            load.kill()
        stop(gatehouse)
        provider.shutdown()
        tally.clean_up(workdir)
    return tally.close()


if __name__ == "__main__":
    sys.exit(main())
