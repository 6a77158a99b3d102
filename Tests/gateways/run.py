"""End-to-end tests with the real gateways: nginx (Debian), Envoy, Traefik and Caddy (PyPI), each
with its configuration from `gateways/`, and nginx running what ingress-nginx generates
(`gateways/ingress-nginx.conf`), in front of an echo upstream, asking `gatehouse serve`,
with tokens from the running nanoidp. The policy signs an assertion for every allow, which the
upstream's side verifies with PyJWT against Gatehouse's `/.well-known/jwks.json`, through a key
rotation, with the code docs/identity.md shows (docs/examples/person/verify_assertion.py). Every process is started here and stopped by its PID.

Usage: run.py --gatehouse BIN --venv .venv     Prints `gateways: N passed, N failed`.
"""
import argparse
import base64
import http.server
import json
import os
import pathlib
import signal
import subprocess
import sys
import tempfile
import threading
import time

import jwt

ROOT = pathlib.Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "Tests/support"))
sys.path.insert(0, str(ROOT / "docs/examples/person"))
from harness import Tally, get, nanoidp_token, stop, wait_port  # noqa: E402
import verify_assertion  # noqa: E402

GATEHOUSE, UPSTREAM, GATEHOUSE_GRPC = 19100, 19102, 19103
PORTS = {"nginx": 18181, "envoy": 18182, "caddy": 18183, "traefik": 18185, "ingress-nginx": 18186,
         "envoy-grpc": 18187}
NANOIDP = os.environ.get("GATEHOUSE_NANOIDP", "http://127.0.0.1:9411")


class Echo(http.server.BaseHTTPRequestHandler):
    """The upstream: answers with the path and identity header it received."""
    seen = []

    def do_GET(self):
        Echo.seen.append(self.path)
        identity = {}
        for name, value in self.headers.items():
            if name.lower().startswith("x-auth-") and value:  # an empty one carries nothing
                identity.setdefault(name.lower(), []).append(value)
        metadata = {name.lower(): value for name, value in self.headers.items()
                    if name.lower() in ("x-gatehouse-user", "x-gatehouse-rule")}
        body = json.dumps({"path": self.path, "x-auth-user": self.headers.get_all("X-Auth-User"),
                           "identity": identity, "x-original-url": self.headers.get_all("X-Original-URL"),
                           "metadata": metadata,
                           "assertions": [value for value in self.headers.get_all("X-Gatehouse-Assertion") or []
                                          if value]}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    do_POST = do_GET

    def log_message(self, *args):
        pass


def fill(text, values):
    """`text` with each `{{KEY}}` replaced by its value."""
    for key, value in values.items():
        text = text.replace("{{" + key + "}}", str(value))
    return text


def render(name, values):
    return fill((ROOT / "gateways" / name).read_text(), values)


def start_gateways(workdir, venv):
    processes = {}
    common = {"GATEHOUSE": f"127.0.0.1:{GATEHOUSE}", "UPSTREAM": f"127.0.0.1:{UPSTREAM}",
              "GATEHOUSE_PORT": GATEHOUSE, "UPSTREAM_PORT": UPSTREAM, "GATEHOUSE_GRPC_PORT": GATEHOUSE_GRPC}
    os.chmod(workdir, 0o755)
    for name, config in [("nginx", "nginx.conf"), ("ingress-nginx", "ingress-nginx.conf")]:
        nginx = workdir / name
        for sub in ["conf", "logs", "tmp"]:
            (nginx / sub).mkdir(parents=True)
        os.chmod(nginx, 0o755)
        (nginx / "conf" / "nginx.conf").write_text(render(config, {**common, "LISTEN": f"127.0.0.1:{PORTS[name]}"}))
        processes[name] = subprocess.Popen(
            ["/usr/sbin/nginx", "-p", f"{nginx}/", "-c", "conf/nginx.conf", "-e", "stderr"],
            stdout=open(workdir / f"{name}.log", "w"), stderr=subprocess.STDOUT)
    for name in ["envoy", "envoy-grpc"]:  # ext_authz over HTTP, and over gRPC
        (workdir / f"{name}.yaml").write_text(render(f"{name}.yaml", {**common, "LISTEN_PORT": PORTS[name]}))
        processes[name] = subprocess.Popen(
            [f"{venv}/bin/envoy", "-c", str(workdir / f"{name}.yaml"), "--concurrency", "1", "--disable-hot-restart",
             "--base-id", str(len(processes)), "--log-level", "warn"],
            stdout=open(workdir / f"{name}.log", "w"), stderr=subprocess.STDOUT)
    dynamic = workdir / "traefik-dynamic.yml"
    dynamic.write_text(render("traefik-dynamic.yml", common))
    (workdir / "traefik.yml").write_text(
        render("traefik.yml", {**common, "LISTEN": f"127.0.0.1:{PORTS['traefik']}", "DYNAMIC": dynamic}))
    processes["traefik"] = subprocess.Popen(
        [f"{venv}/bin/traefik", f"--configFile={workdir / 'traefik.yml'}"],
        stdout=open(workdir / "traefik.log", "w"), stderr=subprocess.STDOUT)
    (workdir / "Caddyfile").write_text(render("Caddyfile", {**common, "LISTEN": f"127.0.0.1:{PORTS['caddy']}"}))
    env = dict(os.environ, HOME=str(workdir), XDG_DATA_HOME=str(workdir / "data"),
               XDG_CONFIG_HOME=str(workdir / "config"), CADDY_STORAGE=str(workdir / "storage"))
    processes["caddy"] = subprocess.Popen(
        [f"{venv}/bin/caddy", "run", "--config", str(workdir / "Caddyfile"), "--adapter", "caddyfile"],
        stdout=open(workdir / "caddy.log", "w"), stderr=subprocess.STDOUT, env=env)
    for name, port in PORTS.items():
        if not wait_port(port) or not wait_routed(port):
            raise RuntimeError(f"{name} did not start: {(workdir / (name + '.log')).read_text()[-2000:]}")
    return processes


def wait_routed(port, timeout=30):
    """Whether the gateway routes to the upstream yet: Traefik, for one, listens before its file
    provider's routes are loaded, and answers 404 until then."""
    deadline = time.time() + timeout
    while time.time() < deadline:
        try:
            if get(port, "/rest/public/ready")[0] == 200:
                return True
        except OSError:
            pass
        time.sleep(0.2)
    return False



def header(headers, name):
    for key, value in headers.items():
        if key.lower() == name.lower():
            return value
    return None


# Every standard identity header, and the ones the test policy configures (policy.yaml).
STANDARD = ["X-Auth-User", "X-Auth-Subject", "X-Auth-Provider", "X-Auth-Scheme", "X-Auth-Groups", "X-Auth-Scopes",
            "X-Auth-Rule"]
CONFIGURED = ["X-Auth-User", "X-Auth-Provider", "X-Auth-Groups", "X-Auth-Scopes"]
OVERRIDES = ["X-Original-URL", "X-Rewrite-URL", "X-HTTP-Method-Override", "X-HTTP-Method", "X-Method-Override"]


def gatehouse_identity(token):
    """The identity headers Gatehouse answers for `token` on an allowed path, asked directly."""
    status, headers, _ = get(GATEHOUSE, "/v1/auth/nginx", {"Authorization": f"Bearer {token}",
                                                           "X-Original-URI": "/rest/things",
                                                           "X-Original-Method": "GET"})
    assert status == 200, status
    return {name.lower(): [value] for name, value in headers.items()
            if name.lower().startswith("x-auth-") and value}


def run_checks(name, port, token, tally, expected_identity):
    bearer = {"Authorization": f"Bearer {token}"}
    forged = {header: "forged" for header in STANDARD}
    Echo.seen.clear()
    status, _, body = get(port, "/rest/things", {**bearer, **forged})
    seen = json.loads(body).get("identity") if status == 200 else None
    tally.check(status == 200 and seen == expected_identity,
                f"{name}: every identity header the policy configures is Gatehouse's, no forged copy of any "
                f"standard one arrives ({status} {seen}, expected {expected_identity})")
    status, _, body = get(port, "/rest/public/docs", forged)
    seen = json.loads(body).get("identity") if status == 200 else None
    tally.check(status == 200 and seen == {},
                f"{name}: on a public path no forged identity header arrives ({status} {seen})")
    for override in OVERRIDES:
        Echo.seen.clear()
        status, _, body = get(port, "/rest/things", {**bearer, override: "/rest/admin/users"})
        if name == "ingress-nginx" and override == "X-Original-URL":
            # ingress-nginx replaces a client's X-Original-URL with the real one on the check and,
            # with the controller's proxy-set-headers, on the way upstream.
            seen = json.loads(body).get("x-original-url") if status == 200 else None
            tally.check(status == 200 and seen == [f"http://127.0.0.1:{port}/rest/things"],
                        f"{name}: a client's {override} is replaced by the URL decided ({status} {seen})")
            continue
        tally.check(status in (400, 403) and not Echo.seen,
                    f"{name}: {override} is refused before the upstream ({status})")
    Echo.seen.clear()
    status, _, body = get(port, "/rest/things?x=1", {**bearer, "X-Auth-User": "evil"})
    seen = json.loads(body) if status == 200 else {}
    tally.check(status == 200 and seen.get("x-auth-user") == ["admin"],
                f"{name}: an allowed request reaches upstream as `admin`, the client's X-Auth-User gone ({status} {seen})")
    status, headers, _ = get(port, "/rest/things")
    tally.check(status == 401 and (header(headers, "WWW-Authenticate") or "").startswith('Bearer realm="gateway-tests"'),
                f"{name}: no token is 401 with a Bearer challenge ({status} {header(headers, 'WWW-Authenticate')})")
    status, _, _ = get(port, "/rest/things", {"Authorization": "Basic " + base64.b64encode(b"admin:admin").decode()})
    tally.check(status == 401, f"{name}: Basic is refused ({status})")
    Echo.seen.clear()
    status, _, _ = get(port, "/rest/a%2Fb/things", bearer)
    tally.check(status != 200 and not Echo.seen, f"{name}: a non-canonical target is refused ({status})")
    status, _, _ = get(port, "/rest/admin/users", bearer)
    tally.check(status == 403, f"{name}: a missing scope is 403 ({status})")
    forged = {"X-Original-URI": "/rest/public/x", "X-Original-Method": "GET", "X-Forwarded-Uri": "/rest/public/x",
              "X-Forwarded-Method": "GET"}
    status, _, _ = get(port, "/rest/things", forged)
    tally.check(status == 401, f"{name}: forged headers of the other conventions change nothing ({status})")
    status, _, body = get(port, "/rest/public/docs", {"X-Auth-User": "evil"})
    seen = json.loads(body) if status == 200 else {}
    tally.check(status == 200 and "evil" not in (seen.get("x-auth-user") or []),
                f"{name}: a public path passes without a client's X-Auth-User ({status} {seen})")


def metadata_checks(token, tally):
    """Envoy in gRPC mode: Gatehouse's dynamic metadata reaches the upstream through the route's
    headers (`%DYNAMIC_METADATA(envoy.filters.http.ext_authz:...)%`), replacing a client's copy;
    a denial carries Gatehouse's challenge and body to the client."""
    port = PORTS["envoy-grpc"]
    forged = {"X-Gatehouse-User": "evil", "X-Gatehouse-Rule": "public"}
    status, _, body = get(port, "/rest/things", {"Authorization": f"Bearer {token}", **forged})
    seen = json.loads(body).get("metadata") if status == 200 else None
    tally.check(status == 200 and seen == {"x-gatehouse-user": "admin", "x-gatehouse-rule": "rest"},
                f"envoy-grpc: the dynamic metadata reaches the upstream, the client's copies replaced ({status} {seen})")
    status, _, body = get(port, "/rest/public/docs", forged)
    seen = json.loads(body).get("metadata") if status == 200 else None
    tally.check(status == 200 and seen == {"x-gatehouse-user": "", "x-gatehouse-rule": "public"},
                f"envoy-grpc: on a public path the metadata has no user, and no forged one arrives ({status} {seen})")
    status, headers, body = get(port, "/rest/admin/users", {"Authorization": f"Bearer {token}"})
    refusal = json.loads(body) if status == 403 else {}
    tally.check(status == 403 and refusal.get("code") == "require.scope"
                and refusal.get("decision_id") == header(headers, "X-Gatehouse-Decision")
                and 'error="insufficient_scope"' in (header(headers, "WWW-Authenticate") or ""),
                f"envoy-grpc: a denial carries Gatehouse's body, decision id and challenge ({status} {refusal})")


ASSERTION = """
assertion:
  issuer: https://gatehouse.test
  audience: gateway-tests-api
  ttl: 60s
  keys:
{keys}
"""


def write_policy(workdir, kids):
    """The test policy with an `assertion` section signed by the keys `kids`, in that order (the
    first signs), each a PEM file beside it that openssl made (Ed25519 or P-256)."""
    keys = "".join(f"    - {{ file: keys/{kid}.pem, kid: {kid} }}\n" for kid in kids)
    text = (ROOT / "Tests/gateways/policy.yaml").read_text() + ASSERTION.format(keys=keys)
    (workdir / "policy.yaml").write_text(text)
    return workdir / "policy.yaml"


def make_keys(workdir):
    (workdir / "keys").mkdir()
    for kid, options in [("ed-1", ["-algorithm", "ed25519"]),
                         ("p256-2", ["-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256"])]:
        subprocess.run(["openssl", "genpkey", *options, "-out", str(workdir / "keys" / f"{kid}.pem")], check=True,
                       capture_output=True)


def verify(assertion):
    """The claims of `assertion` as an upstream verifies them, with the code docs/identity.md
    shows (PyJWT against Gatehouse's published keys); a failure is a `jwt.PyJWTError`."""
    return verify_assertion.verify(assertion, f"http://127.0.0.1:{GATEHOUSE}/.well-known/jwks.json",
                                   issuer="https://gatehouse.test", audience="gateway-tests-api",
                                   keys_for=KEYS_FOR)


# How long the upstream keeps Gatehouse's key set here (a real one: the 60 s Gatehouse says).
KEYS_FOR = 2


def assertion_checks(name, port, token, tally):
    """The assertion that reaches the upstream: exactly one, Gatehouse's (a client's copy never
    arrives), verified by PyJWT with the mapped user, rule and provider; none on a public path."""
    forged = {"X-Gatehouse-Assertion": "eyJhbGciOiJub25lIn0.eyJ1c2VybmFtZSI6ImV2aWwifQ."}
    status, _, body = get(port, "/rest/things", {"Authorization": f"Bearer {token}", **forged})
    arrived = json.loads(body).get("assertions") if status == 200 else None
    claims, problem = None, None
    try:
        claims = verify(arrived[0]) if arrived and len(arrived) == 1 else None
    except jwt.PyJWTError as error:
        problem = repr(error)
    expected = {"username": "admin", "rule": "rest", "provider": "nano", "scheme": "bearer"}
    tally.check(claims is not None and {key: claims.get(key) for key in expected} == expected
                and claims["exp"] - claims["iat"] == 60 and len(claims.get("decision_id", "")) == 16
                and claims.get("revision", "").startswith("sha256:"),
                f"{name}: one assertion reaches the upstream, verified by PyJWT against the JWKS, with the "
                f"mapped user ({status}, {len(arrived or [])} arrived, {claims or problem})")
    status, _, body = get(port, "/rest/public/docs", forged)
    arrived = json.loads(body).get("assertions") if status == 200 else None
    tally.check(status == 200 and arrived == [],
                f"{name}: on a public path no assertion arrives, the client's neither ({status} {arrived})")


def rotation_checks(gatehouse, workdir, token, tally):
    """A key rotated in as docs/policy.md says: first published second (the old key still signs),
    reloaded by SIGHUP; once the upstream's copy of the key set has expired, put first (it signs).
    An assertion the old key signed still verifies throughout, and the new key's verify."""
    port = PORTS["nginx"]

    def assertion():
        status, _, body = get(port, "/rest/things", {"Authorization": f"Bearer {token}"})
        return json.loads(body)["assertions"][0] if status == 200 else ""

    def rotate(kids):
        write_policy(workdir, kids)
        gatehouse.send_signal(signal.SIGHUP)
        deadline = time.time() + 10
        while time.time() < deadline:
            published = json.loads(get(GATEHOUSE, "/.well-known/jwks.json")[2])["keys"]
            if [key["kid"] for key in published] == kids:
                return published
            time.sleep(0.1)
        return published

    def verifies(token_, kid, what):
        try:
            header, claims = jwt.get_unverified_header(token_), verify(token_)
            tally.check(header["kid"] == kid and claims["username"] == "admin", f"{what} ({header})")
        except jwt.PyJWTError as error:
            tally.check(False, f"{what} ({error!r})")

    old = assertion()
    published = rotate(["ed-1", "p256-2"])
    tally.check([(key["kid"], key["alg"]) for key in published] == [("ed-1", "EdDSA"), ("p256-2", "ES256")],
                f"the new key is published second, the old one still first ({published})")
    verifies(old, "ed-1", "an assertion the old key signed before the reload still verifies")
    verifies(assertion(), "ed-1", "after the reload the old key still signs")
    time.sleep(KEYS_FOR + 0.2)
    published = rotate(["p256-2", "ed-1"])
    tally.check([key["kid"] for key in published] == ["p256-2", "ed-1"], f"then the new key is first ({published})")
    verifies(assertion(), "p256-2", "a new assertion is signed by the new key and verifies")
    verifies(old, "ed-1", "and the old key's assertion still verifies")


def ledger_checks(log, tally):
    """The gRPC door's answers are logged and counted where every door's are: decision-log lines
    with `gateway: envoy-grpc` that the log's schema accepts, and the same count in /metrics."""
    sys.path.insert(0, str(ROOT / "Tests/schemas"))
    from validate import validators  # the schema test's validators, with their registry
    validator = validators()["decision-log"]
    lines = [json.loads(line) for line in log.read_text().splitlines()]
    grpc_lines = [line for line in lines if line.get("gateway") == "envoy-grpc"]
    invalid = [error.message for line in grpc_lines for error in validator.iter_errors(line)]
    allowed = [line for line in grpc_lines if line["code"] == "rule.allow" and line.get("username") == "admin"]
    tally.check(grpc_lines and allowed and not invalid,
                f"the gRPC door's answers are in the decision log ({len(grpc_lines)} lines, {len(allowed)} allowed as "
                f"admin), each valid ({invalid[:2]})")
    metrics = get(GATEHOUSE, "/metrics")[2].decode()
    counted = sum(float(line.rsplit(" ", 1)[1]) for line in metrics.splitlines()
                  if line.startswith("gatehouse_decisions_total{") and 'gateway="envoy-grpc"' in line)
    tally.check(counted == len(grpc_lines), f"/metrics counts them alike ({counted:.0f}, logged {len(grpc_lines)})")


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--gatehouse", required=True)
    parser.add_argument("--venv", required=True)
    args = parser.parse_args()
    tally = Tally("gateways")
    workdir = pathlib.Path(tempfile.mkdtemp(prefix="gatehouse-gateways-"))
    upstream = http.server.ThreadingHTTPServer(("127.0.0.1", UPSTREAM), Echo)
    threading.Thread(target=upstream.serve_forever, daemon=True).start()
    make_keys(workdir)
    gatehouse = subprocess.Popen(
        [args.gatehouse, "serve", str(write_policy(workdir, ["ed-1"])), "--listen", f"127.0.0.1:{GATEHOUSE}",
         "--grpc-listen", f"127.0.0.1:{GATEHOUSE_GRPC}", "--decision-log", str(workdir / "decisions.jsonl")],
        stdout=open(workdir / "gatehouse.log", "w"), stderr=subprocess.STDOUT)
    processes = {}
    try:
        if not wait_port(GATEHOUSE):
            raise RuntimeError("gatehouse did not start")
        processes = start_gateways(workdir, os.path.abspath(args.venv))
        token = nanoidp_token(NANOIDP)
        identity = gatehouse_identity(token)
        tally.check(sorted(identity) == sorted(header.lower() for header in CONFIGURED if header.lower() in identity)
                    and "x-auth-user" in identity, f"Gatehouse answers the configured identity headers ({identity})")
        for name, port in PORTS.items():
            run_checks(name, port, token, tally, identity)
            assertion_checks(name, port, token, tally)
        metadata_checks(token, tally)
        ledger_checks(workdir / "decisions.jsonl", tally)
        rotation_checks(gatehouse, workdir, token, tally)
        gatehouse.terminate()
        gatehouse.wait(timeout=10)
        for name, port in PORTS.items():
            Echo.seen.clear()
            status, _, _ = get(port, "/rest/things", {"Authorization": f"Bearer {token}"})
            tally.check(status != 200 and not Echo.seen, f"{name}: with Gatehouse stopped the request is refused ({status})")
    finally:
        stop(gatehouse, *processes.values())
        upstream.shutdown()
        tally.clean_up(workdir)
    return tally.close()


if __name__ == "__main__":
    sys.exit(main())
