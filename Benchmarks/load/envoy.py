"""Envoy's ways to authorize, measured in one run on a release build (see docs/performance.md):

- Envoy with no authorization, proxying to nginx `return 200` (the floor);
- Envoy's own `jwt_authn` + RBAC on the same route and token (the in-proxy alternative: local
  JWKS, the issuer required, `sub` copied to X-Auth-User);
- Envoy -> Gatehouse over HTTP (`gateways/envoy.yaml`);
- Envoy -> Gatehouse over gRPC (`gateways/envoy-grpc.yaml`, `serve --grpc-listen`).

Each is flooded by wrk in turn, alternated for `--rounds`; printed: requests/s (median) as ratios
to the floor and to jwt_authn, and the CPU time per request of Envoy and of Gatehouse from /proc
(less moved by a shared machine's noise than requests/s); then each evenly paced by pace.c at
fixed rates for p50/p99. Envoy runs one worker (`--concurrency 1`) in every setup.

Usage: .venv/bin/python Benchmarks/load/envoy.py [--gatehouse .build-release/release/gatehouse]
"""
import argparse
import json
import os
import pathlib
import shutil
import statistics
import subprocess
import sys
import tempfile
import urllib.request

ROOT = pathlib.Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "Tests/support"))
sys.path.insert(0, str(ROOT / "Benchmarks/load"))
from harness import get, nanoidp_token, stop, wait_port  # noqa: E402
from run import NGINX_CONF, cpu_seconds, evenly, flood_counted  # noqa: E402

NGINX, GATEHOUSE, GATEHOUSE_GRPC, ENVOY = 19130, 19131, 19132, 19133
ISSUER = "http://127.0.0.1:9411"
PATH = "/rest/projects/42/issues?state=open"

# The floor and the in-proxy alternative: the listener of gateways/envoy.yaml with other filters.
PLAIN = """static_resources:
  listeners:
  - name: ingress
    address: { socket_address: { address: 127.0.0.1, port_value: %(listen)d } }
    filter_chains:
    - filters:
      - name: envoy.filters.network.http_connection_manager
        typed_config:
          "@type": type.googleapis.com/envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager
          stat_prefix: ingress
          route_config:
            virtual_hosts:
            - name: all
              domains: ["*"]
              routes:
              - match: { prefix: "/rest/" }
                route: { cluster: app }
          http_filters:
%(filters)s
          - name: envoy.filters.http.router
            typed_config: { "@type": type.googleapis.com/envoy.extensions.filters.http.router.v3.Router }
  clusters:
  - name: app
    type: STATIC
    load_assignment:
      cluster_name: app
      endpoints: [{ lb_endpoints: [{ endpoint: { address: { socket_address: { address: 127.0.0.1, port_value: %(upstream)d } } } }] }]
"""

JWT_AUTHN = """          - name: envoy.filters.http.jwt_authn
            typed_config:
              "@type": type.googleapis.com/envoy.extensions.filters.http.jwt_authn.v3.JwtAuthentication
              providers:
                nano:
                  issuer: %(issuer)s
                  audiences: [gatehouse-api]
                  local_jwks: { filename: %(jwks)s }
                  forward: true
                  payload_in_metadata: jwt_payload
                  claim_to_headers: [{ header_name: x-auth-user, claim_name: sub }]
              rules:
              - match: { prefix: "/rest/" }
                requires: { provider_name: nano }
          - name: envoy.filters.http.rbac
            typed_config:
              "@type": type.googleapis.com/envoy.extensions.filters.http.rbac.v3.RBAC
              rules:
                action: ALLOW
                policies:
                  verified:
                    permissions: [{ url_path: { path: { prefix: "/rest/" } } }]
                    principals:
                    - metadata:
                        filter: envoy.filters.http.jwt_authn
                        path: [{ key: jwt_payload }, { key: iss }]
                        value: { string_match: { exact: "%(issuer)s" } }
"""


def envoy_configs(workdir):
    """Each setup's Envoy configuration, written to `workdir`."""
    jwks_uri = json.load(urllib.request.urlopen(f"{ISSUER}/.well-known/openid-configuration"))["jwks_uri"]
    (workdir / "jwks.json").write_bytes(urllib.request.urlopen(jwks_uri).read())
    values = {"listen": ENVOY, "upstream": NGINX}
    configs = {
        "envoy, no authorization (floor)": PLAIN % {**values, "filters": ""},
        "envoy jwt_authn + RBAC": PLAIN % {**values, "filters": JWT_AUTHN.rstrip("\n") % {
            "issuer": ISSUER, "jwks": workdir / "jwks.json"}},
    }
    gateway = {"GATEHOUSE": f"127.0.0.1:{GATEHOUSE}", "GATEHOUSE_PORT": GATEHOUSE, "GATEHOUSE_GRPC_PORT": GATEHOUSE_GRPC,
               "UPSTREAM_PORT": NGINX, "LISTEN_PORT": ENVOY}
    for name, file in [("envoy -> gatehouse, HTTP", "envoy.yaml"), ("envoy -> gatehouse, gRPC", "envoy-grpc.yaml")]:
        text = (ROOT / "gateways" / file).read_text()
        for key, value in gateway.items():
            text = text.replace("{{" + key + "}}", str(value))
        configs[name] = text
    paths = {}
    for index, (name, text) in enumerate(configs.items()):
        paths[name] = workdir / f"envoy-{index}.yaml"
        paths[name].write_text(text)
    return paths


class Envoy:
    def __init__(self, venv, config, workdir):
        self.process = subprocess.Popen(
            [f"{venv}/bin/envoy", "-c", str(config), "--concurrency", "1", "--disable-hot-restart",
             "--log-level", "error"], stdout=subprocess.DEVNULL, stderr=open(workdir / "envoy.log", "a"))
        if not wait_port(ENVOY, timeout=30):
            raise RuntimeError(f"envoy did not start: {(workdir / 'envoy.log').read_text()[-2000:]}")

    def __enter__(self):
        return self

    def __exit__(self, *_):
        stop(self.process)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--gatehouse", default=str(ROOT / ".build-release/release/gatehouse"))
    parser.add_argument("--venv", default=str(ROOT / ".venv"))
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--rates", default="500,1000")
    args = parser.parse_args()
    if not os.path.exists(args.gatehouse):
        sys.exit(f"no {args.gatehouse}: swift build -c release --scratch-path .build-release --product gatehouse")
    workdir = pathlib.Path(tempfile.mkdtemp(prefix="gatehouse-envoy-"))
    (workdir / "nginx.conf").write_text(NGINX_CONF % NGINX)
    subprocess.run(["gcc", "-O2", "-o", str(workdir / "pace"), str(ROOT / "Benchmarks/load/pace.c")], check=True)
    subprocess.run([str(ROOT / "Tests/idp/idp.sh"), "start", "nanoidp"], check=True, stdout=subprocess.DEVNULL)
    nginx = subprocess.Popen(["/usr/sbin/nginx", "-p", f"{workdir}/", "-c", "nginx.conf", "-e", "stderr"],
                             stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    gatehouse = subprocess.Popen(
        [args.gatehouse, "serve", str(ROOT / "Tests/gateways/policy.yaml"), "--listen", f"127.0.0.1:{GATEHOUSE}",
         "--grpc-listen", f"127.0.0.1:{GATEHOUSE_GRPC}"],
        stdout=subprocess.DEVNULL, stderr=open(workdir / "gatehouse.log", "w"))
    try:
        if not (wait_port(NGINX) and wait_port(GATEHOUSE) and wait_port(GATEHOUSE_GRPC)):
            raise RuntimeError("nginx or gatehouse did not start")
        headers = {"Authorization": f"Bearer {nanoidp_token(ISSUER)}"}
        configs = envoy_configs(workdir)
        for name, config in configs.items():  # each setup allows the request, and refuses it without a token
            with Envoy(args.venv, config, workdir):
                allowed, refused = get(ENVOY, PATH, headers)[0], get(ENVOY, PATH)[0]
                if (allowed, refused) != (200, 200 if name.endswith("(floor)") else 401):
                    raise RuntimeError(f"{name}: allowed {allowed}, without a token {refused}")
        print(f"wrk -t1 -c{args.connections} -d{args.seconds}s through Envoy (--concurrency 1), {args.rounds} rounds, "
              f"{os.cpu_count()} cores")
        figures = {name: ([], [], []) for name in configs}
        for round_ in range(args.rounds):
            for name, config in configs.items():
                with Envoy(args.venv, config, workdir) as envoy:
                    # Warm: connections to the upstream and to Gatehouse, the token cached.
                    flood_counted(ENVOY, headers, args, PATH)
                    envoy_cpu, gatehouse_cpu = cpu_seconds(envoy.process.pid), cpu_seconds(gatehouse.pid)
                    rate, requests = flood_counted(ENVOY, headers, args, PATH)
                    figures[name][0].append(rate)
                    figures[name][1].append((cpu_seconds(envoy.process.pid) - envoy_cpu) / requests * 1e6)
                    figures[name][2].append((cpu_seconds(gatehouse.pid) - gatehouse_cpu) / requests * 1e6)
                    print(f"  round {round_ + 1} {name:34}: {rate:7.0f} req/s")
        floor = statistics.median(figures["envoy, no authorization (floor)"][0])
        jwt = statistics.median(figures["envoy jwt_authn + RBAC"][0])
        for name, (rates, envoy_cpu, gatehouse_cpu) in figures.items():
            rate = statistics.median(rates)
            print(f"{name:34}: {rate:7.0f} req/s, {rate / floor:5.1%} of the floor, {rate / jwt:6.1%} of jwt_authn;"
                  f" CPU/request: envoy {statistics.median(envoy_cpu):5.1f} us, gatehouse "
                  f"{statistics.median(gatehouse_cpu):5.1f} us")
        for rate in [int(value) for value in args.rates.split(",")]:
            for name, config in configs.items():
                with Envoy(args.venv, config, workdir):
                    flood_counted(ENVOY, headers, argparse.Namespace(connections=args.connections, seconds=1), PATH)
                    result = evenly(ENVOY, headers, rate, args, workdir, path=PATH, connections=100)
                print(f"evenly at {rate} req/s, {name:34}: p50 {result['p50_us'] / 1000:.2f} ms  "
                      f"p99 {result['p99_us'] / 1000:.2f} ms  max {result['max_us'] / 1000:.2f} ms  "
                      f"({result['rate']:.0f} req/s, {result['non_2xx']} non-2xx, {result['errors']} errors)")
    finally:
        stop(nginx, gatehouse)
        subprocess.run([str(ROOT / "Tests/idp/idp.sh"), "stop", "nanoidp"], stdout=subprocess.DEVNULL)
        shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    main()
