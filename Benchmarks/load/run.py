"""Load benchmark for `gatehouse serve`, run by hand on a release build (see docs/performance.md).

In one run, on this machine: nginx answering `return 200` (the baseline), Gatehouse's `/healthz`
(Hummingbird answering without a decision) and Gatehouse's `/v1/auth/nginx` with a cached nanoidp
token, flooded in turn by wrk; Gatehouse's requests/s as a share of nginx's; then both at half of
Gatehouse's rate for their latency percentiles, paced by wrk with report.lua and evenly by pace.c
(compiled here with gcc); Gatehouse with its decision log on, alone and with a shadow policy that
agrees or disagrees on every request, and with a signed assertion (EdDSA, ES256) on every allow
(requests/s and CPU time per request); and Gatehouse serving a 10,000-rule policy, with its
resident memory before and after the flood.

Usage: .venv/bin/python Benchmarks/load/run.py [--gatehouse .build-release/release/gatehouse]
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

ROOT = pathlib.Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "Tests/support"))
from harness import get, nanoidp_token, resident_kib, stop, wait_port, wrk  # noqa: E402

NGINX, GATEHOUSE = 19120, 19121
ISSUER = "http://127.0.0.1:9411"
TARGET = "/rest/projects/42/issues?state=open"

NGINX_CONF = """daemon off;
worker_processes auto;
pid nginx.pid;
error_log stderr warn;
events { worker_connections 4096; }
http {
    access_log off;
    keepalive_requests 10000000;  # nginx closes a connection after 1,000 requests by default
    client_body_temp_path tmp;
    server { listen 127.0.0.1:%d; location / { return 200; } }
}
"""


def large_policy(rules):
    """The gateway tests' policy with `rules` rules before its catch-all, shaped like a large REST
    API (versioned, nested resources, parameters, wildcards), so the benchmark's request passes
    through a trie holding all of them."""
    lines = (ROOT / "Tests/gateways/policy.yaml").read_text().split("rules:\n")
    shapes = ["/rest/v1/svc{n}/items", "/rest/v1/svc{n}/items/{id}", "/rest/v2/svc{n}/*/reports",
              "/rest/v1/svc{n}/users/{user}/settings", "/rest/internal/svc{n}/**", "/rest/v1/svc{n}/search"]
    generated = []
    for index in range(rules):
        path = shapes[index % len(shapes)].replace("{n}", str(index // len(shapes)))
        generated.append(f"  - id: r{index}\n    match: {{ path: \"{path}\" }}\n    require: {{ scopes: [s{index}] }}\n")
    return lines[0] + "rules:\n" + "".join(generated) + lines[1]


class Gatehouse:
    def __init__(self, binary, policy, workdir, log=False, shadow=None):
        command = [binary, "serve", str(policy), "--listen", f"127.0.0.1:{GATEHOUSE}"]
        if log:
            command += ["--decision-log", str(workdir / "decisions.jsonl")]
        if shadow:
            command += ["--shadow", str(shadow)]
        self.process = subprocess.Popen(command, stdout=subprocess.DEVNULL,
                                        stderr=open(workdir / "gatehouse.log", "a"))
        if not wait_port(GATEHOUSE, timeout=60):
            raise RuntimeError("gatehouse did not start")

    def __enter__(self):
        return self

    def __exit__(self, *_):
        stop(self.process)


def flood(port, headers, args, path="/v1/auth/nginx"):
    return flood_counted(port, headers, args, path)[0]


def flood_counted(port, headers, args, path="/v1/auth/nginx"):
    """(requests/s, requests) of one flood."""
    result = wrk(f"http://127.0.0.1:{port}{path}", headers, args.connections, args.seconds)
    failed = sum(result[key] for key in ["connect", "read", "write", "status", "timeout"])
    if failed:
        raise RuntimeError(f"{failed} requests failed: {result}")
    return result["requests"] / (result["duration_us"] / 1e6), result["requests"]


def cpu_seconds(pid):
    """User and system CPU time a process has used so far."""
    fields = pathlib.Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def cost(binary, setups, headers, args, workdir):
    """Each setup (name, policy, shadow) in turn, alternated for `rounds`, with the decision log
    on: requests/s and CPU time per request (less moved by the machine's noise), each a median,
    the CPU time also as a ratio to the first setup's."""
    figures = {name: ([], []) for name, _, _ in setups}
    for _ in range(args.rounds):
        for name, policy, candidate in setups:
            with Gatehouse(binary, policy, workdir, log=True, shadow=candidate) as gatehouse:
                before = cpu_seconds(gatehouse.process.pid)
                rate, requests = flood_counted(GATEHOUSE, headers, args)
                figures[name][0].append(rate)
                figures[name][1].append((cpu_seconds(gatehouse.process.pid) - before) / requests * 1e6)
    base = statistics.median(figures[setups[0][0]][1])
    for name, _, _ in setups:
        rates, cpu = figures[name]
        print(f"{name:45}: {statistics.median(rates):7.0f} req/s, {statistics.median(cpu):5.1f} us CPU/request"
              f" ({statistics.median(cpu) / base:.2f}x)")


def process_cpu_seconds(pid):
    """CPU time of a process and its children still running (nginx's workers)."""
    children = subprocess.run(["pgrep", "-P", str(pid)], capture_output=True, text=True).stdout.split()
    return cpu_seconds(pid) + sum(cpu_seconds(int(child)) for child in children)


def paced_cost(servers, headers, args, workdir):
    """Each server evenly paced (pace.c) at 5,000, 10,000 and 20,000 requests/s in turn: its CPU time
    per request (user + system from /proc, which a shared machine moves less than latency) and the
    latency percentiles; CPU also as a ratio to the first server's at the same rate."""
    for rate in [5_000, 10_000, 20_000]:
        base = None
        for name, port, pid in servers:
            before = process_cpu_seconds(pid)
            result = evenly(port, headers, rate, args, workdir)
            per_request = (process_cpu_seconds(pid) - before) / (result["rate"] * args.seconds) * 1e6
            base = base or per_request
            print(f"evenly at {rate:5} req/s, {name:16}: {result['rate']:7.0f} req/s, {per_request:5.1f} us CPU/request"
                  f" ({per_request / base:.2f}x)  p50 {result['p50_us'] / 1000:.2f} ms"
                  f"  p99 {result['p99_us'] / 1000:.2f} ms  ({result['non_2xx']} non-2xx, {result['errors']} errors)")


def with_assertion(policy, workdir, algorithm):
    """`policy` with an `assertion` section signed by a fresh key of `algorithm` (openssl)."""
    key = workdir / f"assertion-{algorithm}.pem"
    options = ["-algorithm", "ed25519"] if algorithm == "EdDSA" else \
        ["-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256"]
    subprocess.run(["openssl", "genpkey", *options, "-out", str(key)], check=True, capture_output=True)
    signed = workdir / f"assertion-{algorithm}.yaml"
    signed.write_text(policy.read_text() + "\nassertion:\n  issuer: https://gatehouse.test\n  audience: api\n"
                      f"  keys: [{{ file: {key}, kid: bench }}]\n")
    return signed


def paced(port, headers, rate, args):
    """wrk at about `rate` requests/s: enough connections that each waits ~10 ms between requests."""
    delay_ms = 10
    connections = max(1, round(rate * delay_ms / 1000))
    result = wrk(f"http://127.0.0.1:{port}/v1/auth/nginx", headers, connections, args.seconds, delay_ms=delay_ms)
    return result["requests"] / (result["duration_us"] / 1e6), result


def evenly(port, headers, rate, args, workdir, path="/v1/auth/nginx", connections=200):
    """`pace` (pace.c) at `rate`: requests evenly spaced, latency counted from when each was due."""
    request = workdir / f"request-{port}.txt"
    lines = [f"GET {path} HTTP/1.1", "Host: gatehouse", *[f"{k}: {v}" for k, v in headers.items()]]
    request.write_bytes(("\r\n".join(lines) + "\r\n\r\n").encode())
    output = subprocess.run([str(workdir / "pace"), "127.0.0.1", str(port), str(round(rate)), str(args.seconds),
                             str(connections), str(request)], capture_output=True, text=True, check=True).stdout
    return json.loads(output)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--gatehouse", default=str(ROOT / ".build-release/release/gatehouse"))
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--rules", type=int, default=10_000)
    parser.add_argument("--paced", action="store_true",
                        help="only nginx and Gatehouse evenly paced at fixed rates: CPU per request and latency")
    args = parser.parse_args()
    if not os.path.exists(args.gatehouse):
        sys.exit(f"no {args.gatehouse}: swift build -c release --scratch-path .build-release --product gatehouse")
    workdir = pathlib.Path(tempfile.mkdtemp(prefix="gatehouse-load-"))
    (workdir / "nginx.conf").write_text(NGINX_CONF % NGINX)
    subprocess.run(["gcc", "-O2", "-o", str(workdir / "pace"), str(ROOT / "Benchmarks/load/pace.c")], check=True)
    large = workdir / "large.yaml"
    large.write_text(large_policy(args.rules))
    small = ROOT / "Tests/gateways/policy.yaml"
    subprocess.run([str(ROOT / "Tests/idp/idp.sh"), "start", "nanoidp"], check=True, stdout=subprocess.DEVNULL)
    nginx = subprocess.Popen(["/usr/sbin/nginx", "-p", f"{workdir}/", "-c", "nginx.conf", "-e", "stderr"],
                             stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        wait_port(NGINX)
        headers = {"X-Original-URI": TARGET, "X-Original-Method": "GET",
                   "Authorization": f"Bearer {nanoidp_token(ISSUER)}"}
        if args.paced:
            with Gatehouse(args.gatehouse, small, workdir) as gatehouse:
                paced_cost([("nginx return 200", NGINX, nginx.pid), ("gatehouse", GATEHOUSE, gatehouse.process.pid)],
                           headers, args, workdir)
            return
        print(f"wrk -t1 -c{args.connections} -d{args.seconds}s, {args.rounds} rounds, {os.cpu_count()} cores")
        with Gatehouse(args.gatehouse, small, workdir) as gatehouse:
            status, answer, _ = get(GATEHOUSE, "/v1/auth/nginx", headers)
            if status != 200 or answer.get("X-Auth-User") != "admin":
                raise RuntimeError(f"the benchmark request is not allowed as admin: {status} {answer}")
            idle_small = resident_kib(gatehouse.process.pid)
            baseline, bare, served = [], [], []
            for _ in range(args.rounds):
                baseline.append(flood(NGINX, headers, args))
                bare.append(flood(GATEHOUSE, {}, args, path="/healthz"))
                served.append(flood(GATEHOUSE, headers, args))
                print(f"  nginx return 200 {baseline[-1]:7.0f} req/s | gatehouse /healthz {bare[-1]:7.0f} req/s"
                      f" | gatehouse /v1/auth/nginx {served[-1]:7.0f} req/s, share {served[-1] / baseline[-1]:5.1%}")
            nginx_rate, gatehouse_rate = statistics.median(baseline), statistics.median(served)
            print(f"median: nginx {nginx_rate:.0f} req/s, gatehouse /healthz {statistics.median(bare):.0f} req/s, "
                  f"gatehouse decisions {gatehouse_rate:.0f} req/s, share {gatehouse_rate / nginx_rate:.1%}")
            half = gatehouse_rate / 2
            for name, port in [("nginx return 200", NGINX), ("gatehouse", GATEHOUSE)]:
                rate, result = paced(port, headers, half, args)
                print(f"at ~{half:.0f} req/s, {name:16}: {rate:7.0f} req/s  p50 {result['p50_us'] / 1000:.2f} ms"
                      f"  p90 {result['p90_us'] / 1000:.2f} ms  p99 {result['p99_us'] / 1000:.2f} ms"
                      f"  max {result['max_us'] / 1000:.2f} ms")
            for name, port in [("nginx return 200", NGINX), ("gatehouse", GATEHOUSE)]:
                result = evenly(port, headers, half, args, workdir)
                print(f"evenly at {half:.0f} req/s, {name:16}: {result['rate']:7.0f} req/s  "
                      f"p50 {result['p50_us'] / 1000:.2f} ms  p90 {result['p90_us'] / 1000:.2f} ms  "
                      f"p99 {result['p99_us'] / 1000:.2f} ms  max {result['max_us'] / 1000:.2f} ms"
                      f"  ({result['non_2xx']} non-2xx, {result['errors']} errors)")
            peak_small = resident_kib(gatehouse.process.pid)
        with Gatehouse(args.gatehouse, small, workdir, log=True):
            print(f"gatehouse with --decision-log FILE: {flood(GATEHOUSE, headers, args):.0f} req/s")
        # The shadow's cost: a candidate that agrees on every request, and one whose catch-all rule
        # is renamed, so every request disagrees and is logged twice.
        agreeing, disagreeing = workdir / "same.yaml", workdir / "renamed.yaml"
        agreeing.write_text(small.read_text())
        disagreeing.write_text(small.read_text().replace("  - id: rest\n", "  - id: rest-next\n"))
        cost(args.gatehouse, [("decision log, no shadow", small, None),
                              ("with --shadow, agreeing on every request", small, agreeing),
                              ("with --shadow, disagreeing on every request", small, disagreeing)],
             headers, args, workdir)
        # The signed assertion: every allow carries one, reused for the same caller and rule (so a
        # cached token's decisions do not sign each time).
        cost(args.gatehouse, [("decision log, no assertion", small, None),
                              ("with an EdDSA assertion (reused)", with_assertion(small, workdir, "EdDSA"), None),
                              ("with an ES256 assertion (reused)", with_assertion(small, workdir, "ES256"), None)],
             headers, args, workdir)
        with Gatehouse(args.gatehouse, large, workdir) as gatehouse:
            idle_large = resident_kib(gatehouse.process.pid)
            rate = flood(GATEHOUSE, headers, args)
            peak_large = resident_kib(gatehouse.process.pid)
            print(f"gatehouse with {args.rules} rules: {rate:.0f} req/s")
        for name, idle, peak in [("3-rule policy", idle_small, peak_small),
                                 (f"{args.rules}-rule policy", idle_large, peak_large)]:
            print(f"resident memory, {name}: {idle[0] / 1024:.1f} MiB idle, "
                  f"{peak[0] / 1024:.1f} MiB after load, peak {peak[1] / 1024:.1f} MiB")
    finally:
        stop(nginx)
        subprocess.run([str(ROOT / "Tests/idp/idp.sh"), "stop", "nanoidp"], stdout=subprocess.DEVNULL)
        shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    main()
