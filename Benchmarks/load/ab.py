"""A/B of two release builds of `gatehouse serve` on the same machine in the same run (see
docs/performance.md): each round floods one build, then the other, with wrk (decisions with a
cached nanoidp token, then `/healthz`), and reads the serving process's CPU time from /proc, so
the figure noise moves least (CPU time per request) is measured for both builds under the same
neighbours. Prints every round and the medians.

Usage: .venv/bin/python Benchmarks/load/ab.py --before OLD_BIN --after NEW_BIN [--rounds 4]
"""
import argparse
import os
import pathlib
import shutil
import statistics
import subprocess
import sys
import tempfile

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))
import run as load  # noqa: E402
from harness import get, nanoidp_token  # noqa: E402  (run.py put Tests/support on the path)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--before", required=True, help="the release binary of the older build")
    parser.add_argument("--after", required=True, help="the release binary of the newer build")
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--rounds", type=int, default=4)
    parser.add_argument("--connections", type=int, default=32)
    args = parser.parse_args()
    builds = {"before": args.before, "after": args.after}
    for binary in builds.values():
        if not os.path.exists(binary):
            sys.exit(f"no {binary}")
    workdir = pathlib.Path(tempfile.mkdtemp(prefix="gatehouse-ab-"))
    policy = load.ROOT / "Tests/gateways/policy.yaml"
    subprocess.run([str(load.ROOT / "Tests/idp/idp.sh"), "start", "nanoidp"], check=True, stdout=subprocess.DEVNULL)
    try:
        headers = {"X-Original-URI": load.TARGET, "X-Original-Method": "GET",
                   "Authorization": f"Bearer {nanoidp_token(load.ISSUER)}"}
        figures = {name: ([], [], []) for name in builds}
        print(f"wrk -t1 -c{args.connections} -d{args.seconds}s, {args.rounds} rounds, {os.cpu_count()} cores")
        for round in range(args.rounds):
            for name, binary in builds.items():
                with load.Gatehouse(binary, policy, workdir) as gatehouse:
                    status, answer, _ = get(load.GATEHOUSE, "/v1/auth/nginx", headers)
                    if status != 200 or answer.get("X-Auth-User") != "admin":
                        raise RuntimeError(f"{name}: the benchmark request is not allowed as admin: {status}")
                    before = load.cpu_seconds(gatehouse.process.pid)
                    rate, requests = load.flood_counted(load.GATEHOUSE, headers, args)
                    cpu = (load.cpu_seconds(gatehouse.process.pid) - before) / requests * 1e6
                    bare = load.flood(load.GATEHOUSE, {}, args, path="/healthz")
                for figure, value in zip(figures[name], [rate, cpu, bare]):
                    figure.append(value)
                print(f"round {round + 1} {name:6}: decisions {rate:7.0f} req/s, {cpu:5.1f} us CPU/request,"
                      f" /healthz {bare:7.0f} req/s", flush=True)
        for name, (rates, cpu, bare) in figures.items():
            print(f"median {name:6}: decisions {statistics.median(rates):7.0f} req/s,"
                  f" {statistics.median(cpu):5.1f} us CPU/request (rounds {min(cpu):.1f}-{max(cpu):.1f}),"
                  f" /healthz {statistics.median(bare):7.0f} req/s")
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
        subprocess.run([str(load.ROOT / "Tests/idp/idp.sh"), "stop", "nanoidp"], stdout=subprocess.DEVNULL)


if __name__ == "__main__":
    main()
