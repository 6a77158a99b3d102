"""Many replicas, one policy: three `gatehouse serve --bundle` replicas behind real nginx (upstream
round robin, the shipped gateways/nginx.conf) poll a bundle server written here (ETag, 304, a
bearer token, and switches to fail, to go missing, or to serve a tampered, unsigned, broken or
older bundle), with tokens from the running nanoidp, under load from wrk. Shown:

- a newly signed revision is active on all three within --poll-max (the time it took printed);
- every bad bundle and every failure of the server is refused by all three, which keep serving the
  last good revision: not one request fails, none is decided by a refused bundle;
- every decision-log line names the revision that decided it, and so does nginx's access log,
  line for line (joined by decision id);
- with the bundle server down, a restarted replica starts from its cache, and a replica with no
  cache refuses every check (fail closed) and is not ready.

Usage: run.py --gatehouse BIN      Prints `bundles: N passed, N failed`.
"""
import argparse
import hashlib
import http.server
import io
import json
import os
import pathlib
import re
import subprocess
import sys
import tarfile
import tempfile
import threading
import time

ROOT = pathlib.Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "Tests/support"))
from harness import Tally, get, nanoidp_token, stop, wait_port, wrk_result, wrk_start  # noqa: E402

BUNDLES, NGINX, UPSTREAM, LONE = 19121, 19125, 19126, 19127
REPLICAS = [19122, 19123, 19124]
POLL_MIN, POLL_MAX = 1.0, 2.0
CONNECTIONS = 6
TOKEN = "bundle-server-token-4f9a"
NANOIDP = os.environ.get("GATEHOUSE_NANOIDP", "http://127.0.0.1:9411")


def policy(revision):
    """A policy for nanoidp's tokens whose one rule names the revision."""
    return f"""version: 1
name: bundles-{revision}
providers:
  nano:
    kind: oidc
    issuer: {NANOIDP}
    audiences: [gatehouse-api]
    verify: jwt
    algorithms: [RS256]
    claims: {{ username: sub }}
schemes: [bearer]
upstream_headers:
  X-Auth-User: username
rules:
  - id: api-{revision}
    match: {{ path: /rest/** }}
    require: authenticated
default: deny
"""


class BundleServer(http.server.BaseHTTPRequestHandler):
    """Serves `state["body"]` at /bundle.tar with a strong ETag, answers `If-None-Match` with 304,
    asks for the bearer token, and obeys `state["mode"]`: `ok`, `fail` (503) or `missing` (404)."""
    state = {"mode": "ok", "body": b"", "full": 0, "not_modified": 0, "unauthorized": 0}
    lock = threading.Lock()

    def do_GET(self):
        with BundleServer.lock:
            state = dict(BundleServer.state)
        if self.path != "/bundle.tar" or self.headers.get("Authorization") != f"Bearer {TOKEN}":
            self.count("unauthorized")
            return self.answer(401, b"")
        if state["mode"] == "fail":
            return self.answer(503, b"down for maintenance")
        if state["mode"] == "missing":
            return self.answer(404, b"")
        etag = '"' + hashlib.sha256(state["body"]).hexdigest()[:20] + '"'
        if self.headers.get("If-None-Match") == etag:
            self.count("not_modified")
            return self.answer(304, b"", etag)
        self.count("full")
        self.answer(200, state["body"], etag)

    def count(self, key):
        with BundleServer.lock:
            BundleServer.state[key] += 1

    def answer(self, status, body, etag=None):
        self.send_response(status)
        if etag:
            self.send_header("ETag", etag)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


def publish(body=None, mode="ok"):
    with BundleServer.lock:
        if body is not None:
            BundleServer.state["body"] = body
        BundleServer.state["mode"] = mode


class Echo(http.server.BaseHTTPRequestHandler):
    """The upstream: answers with the user nginx passed on."""

    def do_GET(self):
        body = json.dumps({"user": self.headers.get("X-Auth-User")}).encode()
        try:
            self.send_response(200)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)
        except (BrokenPipeError, ConnectionResetError):
            pass  # nginx let go of the connection when the load stopped

    def log_message(self, *args):
        pass


def serve_in_thread(handler, port):
    server = http.server.ThreadingHTTPServer(("127.0.0.1", port), handler)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


class Bundles:
    """Builds and signs bundles with the binary; keys from openssl."""

    def __init__(self, gatehouse, workdir):
        self.gatehouse, self.workdir = gatehouse, workdir
        self.key, self.public = workdir / "signing.pem", workdir / "signing.pub.pem"
        subprocess.run(["openssl", "genpkey", "-algorithm", "ed25519", "-out", str(self.key)], check=True)
        subprocess.run(["openssl", "pkey", "-in", str(self.key), "-pubout", "-out", str(self.public)], check=True)

    def build(self, revision, text=None, sign=True):
        folder = self.workdir / f"policy-{revision}"
        folder.mkdir()
        (folder / "app.yaml").write_text(text or policy(revision))
        out = self.workdir / f"{revision}.tar"
        subprocess.run([self.gatehouse, "bundle", "build", str(folder / "app.yaml"), "--output", str(out),
                        "--revision", revision], check=True, stdout=subprocess.DEVNULL)
        if sign:
            self.sign(out)
        return out.read_bytes()

    def sign(self, path):
        subprocess.run([self.gatehouse, "bundle", "sign", str(path), "--key", str(self.key)], check=True,
                       stdout=subprocess.DEVNULL)

    def broken(self, revision):
        """A signed bundle whose policy does not check (the builder refuses such a policy, so the
        archive is made here, as a careless or hostile pipeline could)."""
        text = policy(revision).replace("require: authenticated", "require: everything").encode()
        manifest = json.dumps({"version": 1, "revision": revision, "built_at": time.strftime(
            "%Y-%m-%dT%H:%M:%SZ", time.gmtime()), "policy": "app.yaml",
            "files": {"app.yaml": hashlib.sha256(text).hexdigest()}}, sort_keys=True,
            separators=(",", ":")).encode()
        out = self.workdir / f"{revision}.tar"
        with tarfile.open(out, "w", format=tarfile.USTAR_FORMAT) as archive:
            for name, data in [(".manifest", manifest), ("app.yaml", text)]:
                info = tarfile.TarInfo(name)
                info.size = len(data)
                archive.addfile(info, io.BytesIO(data))
        self.sign(out)
        return out.read_bytes()


def tampered(bundle):
    """The bundle with one byte of its policy changed (the manifest and signature left alone)."""
    data = bytearray(bundle)
    index = data.index(b"require: authenticated")
    data[index] = ord("R")
    return bytes(data)


def readiness(port):
    try:
        status, _, body = get(port, "/readyz", timeout=2)
        return status, json.loads(body)
    except (OSError, ValueError):
        return None, {}


def revisions():
    return [readiness(port)[1].get("revision") for port in REPLICAS]


def refusals(port, reason):
    _, _, body = get(port, "/metrics")
    match = re.search(r'gatehouse_bundle_refusals_total\{policy="active",reason="%s"\} (\d+)' % reason,
                      body.decode())
    return int(match.group(1)) if match else 0


def wait_for(condition, timeout):
    deadline = time.time() + timeout
    while time.time() < deadline:
        if condition():
            return True
        time.sleep(0.02)
    return False


def start_replica(gatehouse, workdir, port, cache):
    return subprocess.Popen(
        [gatehouse, "serve", "--bundle", f"http://127.0.0.1:{BUNDLES}/bundle.tar", "--bundle-public-key",
         str(workdir / "signing.pub.pem"), "--bundle-token-file", str(workdir / "token"),
         "--poll-min", f"{int(POLL_MIN * 1000)}ms", "--poll-max", f"{int(POLL_MAX * 1000)}ms",
         "--bundle-cache", str(cache), "--listen", f"127.0.0.1:{port}",
         "--decision-log", str(workdir / f"decisions-{port}.jsonl")],
        stdout=subprocess.DEVNULL, stderr=open(workdir / f"gatehouse-{port}.log", "a"))


def start_nginx(workdir):
    nginx = workdir / "nginx"
    for sub in ["conf", "logs", "tmp"]:
        (nginx / sub).mkdir(parents=True)
    os.chmod(workdir, 0o755)
    text = (ROOT / "gateways/nginx.conf").read_text()
    servers = "; server ".join(f"127.0.0.1:{port}" for port in REPLICAS)
    for key, value in {"GATEHOUSE": servers, "UPSTREAM": f"127.0.0.1:{UPSTREAM}",
                       "LISTEN": f"127.0.0.1:{NGINX}"}.items():
        text = text.replace("{{" + key + "}}", value)
    (nginx / "conf/nginx.conf").write_text(text)
    process = subprocess.Popen(["/usr/sbin/nginx", "-p", f"{nginx}/", "-c", "conf/nginx.conf", "-e", "stderr"],
                               stdout=open(workdir / "nginx.log", "w"), stderr=subprocess.STDOUT)
    if not wait_port(NGINX):
        raise RuntimeError("nginx did not start: " + (workdir / "nginx.log").read_text()[-2000:])
    return process


def activation(revision, tally):
    """Waits for `revision` on all three replicas; checks it took at most --poll-max."""
    started = time.time()
    ok = wait_for(lambda: revisions() == [revision] * 3, POLL_MAX + 5)
    took = time.time() - started
    print(f"bundles: {revision} active on all three replicas {took:.2f} s after it was published"
          f" (--poll-max {POLL_MAX:.0f} s)")
    tally.check(ok and took <= POLL_MAX + 0.5,
                f"{revision} is active on all three within --poll-max ({took:.2f} s, {revisions()})")


def refused_by_all(label, reason, body, mode, good, tally):
    """Publishes a bad bundle (or a failing server); all three refuse it and keep `good`."""
    before = [refusals(port, reason) for port in REPLICAS]
    publish(body, mode)
    refused = wait_for(lambda: all(refusals(port, reason) > count for port, count in zip(REPLICAS, before)),
                       POLL_MAX * 2 + 3)
    reasons = [(readiness(port)[1].get("bundle", {}).get("last_refusal") or {}).get("reason") for port in REPLICAS]
    tally.check(refused and reasons == [reason] * 3,
                f"{label}: refused by all three replicas as {reason} ({reasons})")
    time.sleep(POLL_MAX)  # and refused again, while the load goes on
    tally.check(revisions() == [good] * 3, f"{label}: all three keep serving {good} ({revisions()})")


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--gatehouse", required=True)
    args = parser.parse_args()
    tally = Tally("bundles")
    workdir = pathlib.Path(tempfile.mkdtemp(prefix="gatehouse-bundles-"))
    (workdir / "token").write_text(TOKEN + "\n")
    bundles = Bundles(args.gatehouse, workdir)
    built = {}
    for revision in ["v1", "v2"]:
        built[revision] = bundles.build(revision)
        time.sleep(1.1)  # build times are to the second: each build is later than the one before
    bad = {"unsigned": bundles.build("bad-unsigned", sign=False), "broken": bundles.broken("bad-broken"),
           "tampered": tampered(bundles.build("bad-tampered"))}
    time.sleep(1.1)
    built["v3"] = bundles.build("v3")

    server, echo = serve_in_thread(BundleServer, BUNDLES), serve_in_thread(Echo, UPSTREAM)
    publish(built["v1"])
    replicas = {port: start_replica(args.gatehouse, workdir, port, workdir / f"cache-{port}") for port in REPLICAS}
    nginx = load = lone = None
    try:
        for port in REPLICAS:
            if not wait_port(port):
                raise RuntimeError(f"replica {port} did not start: {(workdir / f'gatehouse-{port}.log').read_text()}")
        tally.check(wait_for(lambda: revisions() == ["v1"] * 3, 10), f"all three start with v1 ({revisions()})")
        nginx = start_nginx(workdir)
        token = nanoidp_token(NANOIDP)
        status, _, body = get(NGINX, "/rest/things", {"Authorization": f"Bearer {token}"})
        tally.check(status == 200 and json.loads(body)["user"], f"a request passes nginx under v1 ({status} {body[:80]})")
        load = wrk_start(f"http://127.0.0.1:{NGINX}/rest/things", {"Authorization": f"Bearer {token}"}, CONNECTIONS,
                         300)
        time.sleep(1)

        publish(built["v2"])
        activation("v2", tally)
        refused_by_all("a tampered bundle", "files-mismatch", bad["tampered"], "ok", "v2", tally)
        refused_by_all("an unsigned bundle", "unsigned", bad["unsigned"], "ok", "v2", tally)
        refused_by_all("a bundle whose policy does not check", "policy-invalid", bad["broken"], "ok", "v2", tally)
        refused_by_all("an older bundle, replayed", "older-build", built["v1"], "ok", "v2", tally)
        refused_by_all("a bundle server failing", "server-error", None, "fail", "v2", tally)
        refused_by_all("a bundle gone missing", "not-found", None, "missing", "v2", tally)
        publish(built["v3"], "ok")
        activation("v3", tally)
        with BundleServer.lock:
            before = dict(BundleServer.state)
        time.sleep(POLL_MAX * 2)
        with BundleServer.lock:
            after = dict(BundleServer.state)
        polls = {key: after[key] - before[key] for key in ("full", "not_modified", "unauthorized")}
        print(f"bundles: with v3 in force, {POLL_MAX * 2:.0f} s of polls: {polls}")
        tally.check(polls["full"] == 0 and polls["not_modified"] >= len(REPLICAS) and polls["unauthorized"] == 0,
                    f"replicas poll with If-None-Match and their token, and are answered 304 ({polls})")

        totals = wrk_result(load, interrupt=True)
        load = None
        failures = {key: totals[key] for key in ["connect", "read", "write", "status", "timeout"]}
        tally.check(totals["requests"] > 500 and not any(failures.values()),
                    f"not one of {totals['requests']} requests through nginx failed ({failures})")
        check_logs(workdir, tally)

        # The bundle server goes away; a replica restarted now starts from its cache.
        server.shutdown()
        server.server_close()
        stop(replicas[REPLICAS[0]])
        replicas[REPLICAS[0]] = start_replica(args.gatehouse, workdir, REPLICAS[0], workdir / f"cache-{REPLICAS[0]}")
        ready = wait_port(REPLICAS[0]) and wait_for(lambda: readiness(REPLICAS[0])[0] == 200, 10)
        status, state = readiness(REPLICAS[0])
        tally.check(ready and state.get("revision") == "v3" and state.get("bundle", {}).get("from") == "cache"
                    and state["bundle"]["last_refusal"]["reason"] == "unreachable",
                    f"with the bundle server down, a restarted replica starts from its cache ({status} {state})")
        status, headers, _ = get(REPLICAS[0], "/v1/auth/nginx", {"Authorization": f"Bearer {token}",
                                                                 "X-Original-URI": "/rest/x",
                                                                 "X-Original-Method": "GET"})
        tally.check(status == 200 and headers.get("X-Gatehouse-Revision") == "v3",
                    f"and decides with it ({status} {headers.get('X-Gatehouse-Revision')})")

        lone = start_replica(args.gatehouse, workdir, LONE, workdir / "cache-empty")
        wait_port(LONE)
        status, state = readiness(LONE)
        tally.check(status == 503 and state.get("reason") == "no policy is in force yet" and "revision" not in state,
                    f"a replica with no cache and no bundle server is not ready ({status} {state})")
        status, headers, body = get(LONE, "/v1/auth/envoy/rest/x", {"Authorization": f"Bearer {token}"})
        tally.check(status == 503 and json.loads(body).get("code") == "policy.unavailable",
                    f"and refuses every check (fail closed) ({status} {body[:120]})")
    finally:
        if load is not None:
            load.kill()
        stop(nginx, lone, *replicas.values())
        echo.shutdown()
        tally.clean_up(workdir)
    return tally.close()


def check_logs(workdir, tally):
    """Every decision names a good revision and was decided by that revision's rule; nginx's
    access log names, for each request, the revision its decision-log line names."""
    decided = {}
    for port in REPLICAS:
        for line in (workdir / f"decisions-{port}.jsonl").read_text().splitlines():
            entry = json.loads(line)
            decided[entry["decision_id"]] = entry
    wrong = [e for e in decided.values() if e.get("revision") not in ("v1", "v2", "v3")
             or (e.get("rule"), e.get("status")) != (f"api-{e.get('revision')}", 200)]
    counts = {revision: sum(1 for e in decided.values() if e.get("revision") == revision) for revision in ("v1", "v2", "v3")}
    print(f"bundles: {len(decided)} decisions logged, by revision {counts}")
    tally.check(decided and not wrong, f"every decision names a good revision and was made by its rule ({wrong[:2]})")
    tally.check(all(counts.values()), f"requests were decided under each good revision ({counts})")
    access = [line for line in (workdir / "nginx/logs/access.log").read_text().splitlines() if "/rest/" in line]
    # wrk ends with requests in flight: nginx logs those 499 (the client went away before the
    # answer), with no answer and so no revision. Every other line is an answer and names its own.
    gone = [line for line in access if '" 499 ' in line]
    pairs = [re.search(r"revision=(\S+) decision=(\S+)$", line) for line in access if '" 499 ' not in line]
    mismatched = [m.group(0) if m else None for m in pairs
                  if not m or decided.get(m.group(2), {}).get("revision") != m.group(1)]
    tally.check(len(pairs) > 500 and not mismatched and len(gone) <= CONNECTIONS,
                f"nginx's access log names the revision of each of {len(pairs)} decisions ({mismatched[:2]}),"
                f" {len(gone)} requests left by wrk as it stopped")


if __name__ == "__main__":
    sys.exit(main())
