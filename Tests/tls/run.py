"""TLS and client certificates, end to end: `gatehouse serve --tls-cert --tls-key --tls-client-ca`
with certificates made here by openssl (a gateways CA, and another CA), asked by real nginx
(`proxy_ssl_certificate`, gateways/tls/nginx.conf) and real Envoy (an upstream TLS transport
socket, gateways/tls/envoy-cluster.yaml), each spliced into the shipped gateway configuration, in
front of an echo upstream, with tokens from the running nanoidp. Shown:

- each gateway with the gateways CA's client certificate: allowed as `admin`, 401 without a token;
- without a client certificate, with one from another CA, and in plain HTTP: the handshake is
  refused (and counted in /metrics); through a gateway, the
  gateway refuses the request (nginx 500, Envoy 403), nothing reaches the upstream, no decision;
- SIGHUP re-reads the certificate and key: new connections get the new certificate; a broken key
  keeps the running one; both counted in /metrics;
- `--health-listen` serves /healthz, /readyz and /metrics, and no decision, over plain HTTP;
- the gRPC listener (`--grpc-listen`) serves the same TLS: a grpcio client with the gateways CA's
  certificate gets decisions and SERVING from grpc.health.v1, one without or with another CA's is
  refused in the handshake; real Envoy in gRPC mode (gateways/envoy-grpc.yaml with the TLS
  cluster) is allowed as `admin`; after SIGHUP a new gRPC connection gets the new certificate;
- `serve` refuses to start with a missing certificate or a key of another certificate (exit 65).

Usage: run.py --gatehouse BIN --venv .venv     Prints `tls: N passed, N failed`.
"""
import argparse
import http.client
import importlib.util
import os
import pathlib
import re
import shutil
import signal
import socket
import ssl
import subprocess
import sys
import tempfile
import threading
import time

ROOT = pathlib.Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "Tests/support"))
from harness import Tally, get, nanoidp_token, stop, wait_port  # noqa: E402

os.environ.setdefault("GRPC_VERBOSITY", "NONE")  # grpcio's own log of the refused handshakes
import grpc  # noqa: E402
from envoy.service.auth.v3 import external_auth_pb2, external_auth_pb2_grpc  # noqa: E402
from grpc_health.v1 import health_pb2, health_pb2_grpc  # noqa: E402

spec = importlib.util.spec_from_file_location("gateways_run", ROOT / "Tests/gateways/run.py")
gateways = importlib.util.module_from_spec(spec)
spec.loader.exec_module(gateways)

GATEHOUSE, UPSTREAM, HEALTH, GRPC, ENVOY_GRPC = 19140, 19141, 19148, 19150, 19151
NGINX = {"with": 19142, "without": 19143, "stranger": 19144}
ENVOY = {"with": 19145, "without": 19146, "stranger": 19147}
NAME = "gatehouse.internal"
NANOIDP = os.environ.get("GATEHOUSE_NANOIDP", "http://127.0.0.1:9411")


def openssl(*arguments):
    subprocess.run(["openssl", *arguments], check=True, capture_output=True)


def make_certificates(folder):
    """Two CAs; the server's certificate (twice, for the reload) and the gateway's from the first,
    a stranger's from the second."""
    for ca in ["gateways-ca", "other-ca"]:
        openssl("req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-days", "2",
                "-keyout", f"{folder}/{ca}.key", "-out", f"{folder}/{ca}.pem", "-subj", f"/CN={ca}")
    (folder / "server.ext").write_text(f"subjectAltName=DNS:{NAME},IP:127.0.0.1\n")
    (folder / "client.ext").write_text("extendedKeyUsage=clientAuth\n")
    for name, ca, extensions in [("server", "gateways-ca", "server.ext"), ("server2", "gateways-ca", "server.ext"),
                                 ("gateway", "gateways-ca", "client.ext"), ("stranger", "other-ca", "client.ext")]:
        openssl("req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-keyout",
                f"{folder}/{name}.key", "-out", f"{folder}/{name}.csr", "-subj", f"/CN={name}")
        openssl("x509", "-req", "-in", f"{folder}/{name}.csr", "-CA", f"{folder}/{ca}.pem", "-CAkey",
                f"{folder}/{ca}.key", "-CAcreateserial", "-days", "2", "-out", f"{folder}/{name}.pem",
                "-extfile", f"{folder}/{extensions}")


def client_context(certs, client=None):
    context = ssl.create_default_context(cafile=str(certs / "gateways-ca.pem"))
    if client:
        context.load_cert_chain(str(certs / f"{client}.pem"), str(certs / f"{client}.key"))
    return context


def https(certs, path, client="gateway"):
    """(status, body, the server's certificate in DER) of one GET over TLS, or the error."""
    connection = http.client.HTTPSConnection("127.0.0.1", GATEHOUSE, timeout=5,
                                             context=client_context(certs, client))
    try:
        connection.request("GET", path)
        response = connection.getresponse()
        return response.status, response.read(), connection.sock.getpeercert(binary_form=True)
    except (ssl.SSLError, OSError) as error:
        return None, str(error), None
    finally:
        connection.close()


def der(path):
    return ssl.PEM_cert_to_DER_cert(path.read_text())


def splice(text, start, end, snippet):
    """`text` with the part from the line `start` up to (not including) `end` replaced by `snippet`."""
    begin = text.index(start)
    return text[:begin] + snippet + text[text.index(end, begin):]


def tls_values(certs, variant):
    client = {"with": "gateway", "stranger": "stranger"}.get(variant)
    return {"GATEHOUSE_CA": certs / "gateways-ca.pem", "GATEHOUSE_NAME": NAME,
            "CLIENT_CERT": certs / f"{client}.pem" if client else "", "CLIENT_KEY": certs / f"{client}.key" if client else ""}


def without_client_certificate(snippet, variant):
    if variant != "without":
        return snippet
    return "\n".join(line for line in snippet.splitlines() if "CLIENT_" not in line) + "\n"


def start_nginx(workdir, certs, variant):
    prefix = workdir / f"nginx-{variant}"
    for sub in ["conf", "logs", "tmp"]:
        (prefix / sub).mkdir(parents=True)
    snippet = without_client_certificate((ROOT / "gateways/tls/nginx.conf").read_text(), variant)
    text = splice((ROOT / "gateways/nginx.conf").read_text(), "        location = /_gatehouse {",
                  "    }\n}", snippet)
    values = {"GATEHOUSE": f"127.0.0.1:{GATEHOUSE}", "UPSTREAM": f"127.0.0.1:{UPSTREAM}",
              "LISTEN": f"127.0.0.1:{NGINX[variant]}", **tls_values(certs, variant)}
    (prefix / "conf/nginx.conf").write_text(gateways.fill(text, values))
    return subprocess.Popen(["/usr/sbin/nginx", "-p", f"{prefix}/", "-c", "conf/nginx.conf", "-e", "stderr"],
                            stdout=open(workdir / f"nginx-{variant}.log", "w"), stderr=subprocess.STDOUT)


def start_envoy(workdir, certs, variant, venv):
    snippet = without_client_certificate((ROOT / "gateways/tls/envoy-cluster.yaml").read_text(), variant)
    if variant == "without":
        snippet = snippet.replace("          tls_certificates:\n", "")
    text = splice((ROOT / "gateways/envoy.yaml").read_text(), "  - name: gatehouse\n", "  - name: app\n", snippet)
    text = text.replace("uri: http://{{GATEHOUSE}}", "uri: https://{{GATEHOUSE}}")
    values = {"GATEHOUSE": f"{NAME}:{GATEHOUSE}", "GATEHOUSE_PORT": GATEHOUSE, "UPSTREAM_PORT": UPSTREAM,
              "LISTEN_PORT": ENVOY[variant], **tls_values(certs, variant)}
    config = workdir / f"envoy-{variant}.yaml"
    config.write_text(gateways.fill(text, values))
    return subprocess.Popen(
        [f"{venv}/bin/envoy", "-c", str(config), "--concurrency", "1", "--disable-hot-restart", "--log-level",
         "warn", "--base-id", str(10 + list(ENVOY).index(variant))],
        stdout=open(workdir / f"envoy-{variant}.log", "w"), stderr=subprocess.STDOUT)


def grpc_peer_certificate(certs, client="gateway"):
    """The certificate (DER) a TLS connection to the gRPC listener is served with (ALPN h2), or
    None when the handshake is refused."""
    context = client_context(certs, client)
    context.set_alpn_protocols(["h2"])
    try:
        with socket.create_connection(("127.0.0.1", GRPC), timeout=5) as raw:
            with context.wrap_socket(raw, server_hostname=NAME) as tls:
                tls.write(b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n")  # a client certificate is checked by now
                tls.read(1)
                return tls.getpeercert(binary_form=True)
    except (ssl.SSLError, OSError):
        return None


def grpc_channel(certs, client="gateway"):
    chain = (certs / f"{client}.pem").read_bytes() if client else None
    key = (certs / f"{client}.key").read_bytes() if client else None
    credentials = grpc.ssl_channel_credentials((certs / "gateways-ca.pem").read_bytes(), key, chain)
    return grpc.secure_channel(f"127.0.0.1:{GRPC}", credentials,
                               options=[("grpc.ssl_target_name_override", NAME)])


def check_grpc(tally, certs, token):
    """The gRPC listener over the same mutual TLS, asked by grpcio and by Envoy."""
    request = external_auth_pb2.CheckRequest()
    http = request.attributes.request.http
    http.method, http.path, http.host = "GET", "/rest/things", "api.example.com"
    http.headers["authorization"] = f"Bearer {token}"
    with grpc_channel(certs) as channel:
        response = external_auth_pb2_grpc.AuthorizationStub(channel).Check(request, timeout=5)
        user = [h.header.value for h in response.ok_response.headers if h.header.key == "X-Auth-User"]
        tally.check(response.status.code == 0 and user == ["admin"],
                    f"gRPC with the gateways CA's certificate: OK as admin ({response.status.code} {user})")
        health = health_pb2_grpc.HealthStub(channel).Check(health_pb2.HealthCheckRequest(), timeout=5)
        tally.check(health.status == health_pb2.HealthCheckResponse.SERVING,
                    f"grpc.health.v1 over TLS: SERVING ({health.status})")
    for client, label in [(None, "without a client certificate"), ("stranger", "with another CA's certificate")]:
        with grpc_channel(certs, client) as channel:
            try:
                external_auth_pb2_grpc.AuthorizationStub(channel).Check(request, timeout=5)
                code = "answered"
            except grpc.RpcError as error:
                code = error.code()
        tally.check(code == grpc.StatusCode.UNAVAILABLE and grpc_peer_certificate(certs, client) is None,
                    f"gRPC {label}: refused in the handshake ({code})")
    gateways.Echo.seen.clear()
    status, _, body = get(ENVOY_GRPC, "/rest/things", {"Authorization": f"Bearer {token}"})
    seen = gateways.json.loads(body).get("x-auth-user") if status == 200 else None
    tally.check(status == 200 and seen == ["admin"],
                f"Envoy in gRPC mode with the gateways CA's certificate: allowed as admin ({status} {seen})")


def start_envoy_grpc(workdir, certs, venv):
    """gateways/envoy-grpc.yaml with its gatehouse cluster over mutual TLS (HTTP/2 kept)."""
    snippet = (ROOT / "gateways/tls/envoy-cluster.yaml").read_text()
    text = (ROOT / "gateways/envoy-grpc.yaml").read_text()
    http2 = text[text.index("    typed_extension_protocol_options:"):text.index("    load_assignment:\n      cluster_name: gatehouse")]
    snippet = snippet.replace("    load_assignment:", http2 + "    load_assignment:", 1)
    text = splice(text, "  - name: gatehouse\n", "  - name: app\n", snippet)
    values = {"GATEHOUSE_PORT": GRPC, "UPSTREAM_PORT": UPSTREAM, "LISTEN_PORT": ENVOY_GRPC,
              **tls_values(certs, "with")}
    config = workdir / "envoy-grpc.yaml"
    config.write_text(gateways.fill(text, values))
    return subprocess.Popen(
        [f"{venv}/bin/envoy", "-c", str(config), "--concurrency", "1", "--disable-hot-restart", "--log-level",
         "warn", "--base-id", "20"], stdout=open(workdir / "envoy-grpc.log", "w"), stderr=subprocess.STDOUT)


def metric(certs, name):
    _, body, _ = https(certs, "/metrics")
    match = re.search(rf"^{re.escape(name)} (\S+)$", body.decode() if isinstance(body, bytes) else "", re.M)
    return float(match.group(1)) if match else None


def check_gateways(tally, certs, token, log):
    bearer = {"Authorization": f"Bearer {token}"}
    refused_status = {"nginx": 500, "envoy": 403}
    for gateway, ports in [("nginx", NGINX), ("envoy", ENVOY)]:
        gateways.Echo.seen.clear()
        status, _, body = get(ports["with"], "/rest/things", bearer)
        seen = gateways.json.loads(body).get("x-auth-user") if status == 200 else None
        tally.check(status == 200 and seen == ["admin"],
                    f"{gateway} with the gateways CA's certificate: allowed as admin ({status} {seen})")
        status, _, _ = get(ports["with"], "/rest/things")
        tally.check(status == 401, f"{gateway} with its certificate, no token: 401 ({status})")
        for variant in ["without", "stranger"]:
            decided = len(log.read_text().splitlines())
            gateways.Echo.seen.clear()
            status, _, _ = get(ports[variant], "/rest/things", bearer)
            tally.check(status == refused_status[gateway] and not gateways.Echo.seen
                        and len(log.read_text().splitlines()) == decided,
                        f"{gateway} {variant} a client certificate of the gateways CA: refused "
                        f"({status}, expected {refused_status[gateway]}), nothing upstream, no decision")


def check_reload(tally, certs, gatehouse, workdir):
    server_pem, server_key = workdir / "serving.pem", workdir / "serving.key"
    shutil.copy(certs / "server2.pem", server_pem)
    shutil.copy(certs / "server2.key", server_key)
    gatehouse.send_signal(signal.SIGHUP)
    deadline = time.time() + 5
    while time.time() < deadline and https(certs, "/healthz")[2] != der(certs / "server2.pem"):
        time.sleep(0.1)
    status, _, peer = https(certs, "/healthz")
    tally.check(status == 200 and peer == der(certs / "server2.pem"),
                f"after SIGHUP a new connection gets the new certificate ({status})")
    tally.check(grpc_peer_certificate(certs) == der(certs / "server2.pem"),
                "after SIGHUP a new gRPC connection gets the new certificate too")
    tally.check(metric(certs, 'gatehouse_tls_reloads_total{result="ok"}') == 1, "the reload is counted")
    server_key.write_text("-----BEGIN PRIVATE KEY-----\nbroken\n-----END PRIVATE KEY-----\n")
    gatehouse.send_signal(signal.SIGHUP)
    deadline = time.time() + 5
    while time.time() < deadline and metric(certs, 'gatehouse_tls_reloads_total{result="failed"}') != 1:
        time.sleep(0.1)
    status, _, peer = https(certs, "/healthz")
    tally.check(status == 200 and peer == der(certs / "server2.pem")
                and metric(certs, 'gatehouse_tls_reloads_total{result="failed"}') == 1,
                f"a broken key keeps the running certificate, and the failure is counted ({status})")


def check_refusals_at_start(tally, binary, certs, workdir):
    policy = str(ROOT / "Tests/gateways/policy.yaml")
    for name, cert, key, says in [
            ("a missing certificate", workdir / "absent.pem", certs / "server.key", "cannot be read"),
            ("the key of another certificate", certs / "server.pem", certs / "gateway.key", "does not belong")]:
        result = subprocess.run([binary, "serve", policy, "--listen", "127.0.0.1:19149", "--tls-cert", str(cert),
                                 "--tls-key", str(key)], capture_output=True, text=True, timeout=20)
        secret = certs.joinpath("gateway.key").read_text().splitlines()[1]
        tally.check(result.returncode == 65 and says in result.stderr and secret not in result.stderr,
                    f"serve refuses {name}: exit 65, `{says}`, no key material ({result.returncode} {result.stderr!r})")


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--gatehouse", required=True)
    parser.add_argument("--venv", required=True)
    args = parser.parse_args()
    tally = Tally("tls")
    workdir = pathlib.Path(tempfile.mkdtemp(prefix="gatehouse-tls-"))
    os.chmod(workdir, 0o755)
    certs = workdir / "certs"
    certs.mkdir()
    make_certificates(certs)
    for name in ["gateway", "stranger"]:
        os.chmod(certs / f"{name}.key", 0o644)  # nginx's worker reads it
    shutil.copy(certs / "server.pem", workdir / "serving.pem")
    shutil.copy(certs / "server.key", workdir / "serving.key")
    upstream = gateways.http.server.ThreadingHTTPServer(("127.0.0.1", UPSTREAM), gateways.Echo)
    threading.Thread(target=upstream.serve_forever, daemon=True).start()
    log = workdir / "decisions.jsonl"
    gatehouse = subprocess.Popen(
        [args.gatehouse, "serve", str(ROOT / "Tests/gateways/policy.yaml"), "--listen", f"127.0.0.1:{GATEHOUSE}",
         "--tls-cert", str(workdir / "serving.pem"), "--tls-key", str(workdir / "serving.key"),
         "--tls-client-ca", str(certs / "gateways-ca.pem"), "--decision-log", str(log),
         "--health-listen", f"127.0.0.1:{HEALTH}", "--grpc-listen", f"127.0.0.1:{GRPC}"],
        stdout=open(workdir / "gatehouse.log", "w"), stderr=subprocess.STDOUT)
    processes = []
    try:
        if not wait_port(GATEHOUSE):
            raise RuntimeError("gatehouse did not start")
        status, body, peer = https(certs, "/healthz")
        tally.check(status == 200 and peer == der(certs / "server.pem"),
                    f"a client with the gateways CA's certificate is served ({status} {body!r})")
        for client, label in [(None, "without a client certificate"), ("stranger", "with another CA's certificate")]:
            status, error, _ = https(certs, "/healthz", client)
            tally.check(status is None, f"a client {label} is refused in the handshake ({status} {error})")
        try:
            status = get(GATEHOUSE, "/healthz", timeout=3)[0]
        except (OSError, http.client.HTTPException):
            status = None
        tally.check(status is None, f"plain HTTP gets no answer ({status})")
        # Counted: the three above, and wait_port's bare connect (a port probe fails the same way).
        refused = metric(certs, "gatehouse_tls_handshake_failures_total")
        tally.check(refused == 4, f"the failed handshakes are counted, once each ({refused}, expected 4)")
        answers = {path: get(HEALTH, path, {"X-Original-URI": "/rest/public/x", "X-Original-Method": "GET"})[0]
                   for path in ["/healthz", "/readyz", "/metrics", "/v1/auth/nginx"]}
        tally.check(answers == {"/healthz": 200, "/readyz": 200, "/metrics": 200, "/v1/auth/nginx": 404},
                    f"--health-listen serves /healthz, /readyz and /metrics over plain HTTP, no decisions ({answers})")
        processes = [start_nginx(workdir, certs, variant) for variant in NGINX]
        processes += [start_envoy(workdir, certs, variant, os.path.abspath(args.venv)) for variant in ENVOY]
        processes.append(start_envoy_grpc(workdir, certs, os.path.abspath(args.venv)))
        for ports in [NGINX, ENVOY]:  # only a gateway with the right certificate routes
            if not gateways.wait_routed(ports["with"]) or not all(wait_port(ports[v]) for v in ["without", "stranger"]):
                raise RuntimeError(f"the gateways on {ports} did not start")
        if not gateways.wait_routed(ENVOY_GRPC):
            raise RuntimeError(f"Envoy in gRPC mode did not start: {(workdir / 'envoy-grpc.log').read_text()[-2000:]}")
        token = nanoidp_token(NANOIDP)
        check_gateways(tally, certs, token, log)
        check_grpc(tally, certs, token)
        check_reload(tally, certs, gatehouse, workdir)
        check_refusals_at_start(tally, args.gatehouse, certs, workdir)
    finally:
        stop(gatehouse, *processes)
        upstream.shutdown()
        tally.clean_up(workdir)
    return tally.close()


if __name__ == "__main__":
    sys.exit(main())
