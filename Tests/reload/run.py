"""Reload under load: `gatehouse serve --watch` answers a steady flow of requests from wrk while its
policy file is replaced by a valid policy, then a broken one, then a valid one again (the last also
announced with SIGHUP, which must not load it twice). Shown: not one request fails, and every
decision in the decision log names the policy that was active when it was made, with that policy's
rule and username, in the order the policies were served.

Usage: run.py --gatehouse BIN      Prints `reload: N passed, N failed`.
"""
import argparse
import hashlib
import json
import os
import pathlib
import re
import signal
import subprocess
import sys
import tempfile
import time

ROOT = pathlib.Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "Tests/support"))
from harness import Tally, get, stop, wait_port, wrk_result, wrk_start  # noqa: E402

PORT = 19110
CONNECTIONS = 8
TOKEN = "reload-test-token-0123456789abcdef"
TOKEN_SHA256 = hashlib.sha256(TOKEN.encode()).hexdigest()


def policy(version):
    """A valid policy whose rule id and API-token username name its version."""
    return f"""version: 1
name: reload-v{version}
schemes: [api_token]
api_tokens:
  - id: load
    sha256: {TOKEN_SHA256}
    username: bot-v{version}
upstream_headers:
  X-Auth-User: username
rules:
  - id: api-v{version}
    match: {{ path: /api/** }}
    require: authenticated
default: deny
"""


BROKEN = "version: 1\nname: broken\nrules:\n  - id: [oops\n"


def replace(path, text):
    """Replaces the file the way editors and deploy tools do: a new file renamed over the old."""
    temporary = path.with_suffix(".tmp")
    temporary.write_text(text)
    os.replace(temporary, path)
    return hashlib.sha256(text.encode()).hexdigest()[:12]


def served_policy():
    status, _, body = get(PORT, "/readyz")
    return json.loads(body)["policy_sha256"][:12] if status == 200 else None


def reloads(result):
    _, _, body = get(PORT, "/metrics")
    match = re.search(r'gatehouse_policy_reloads_total\{result="%s"\} (\d+)' % result, body.decode())
    return int(match.group(1)) if match else 0


def wait_for(condition, timeout=10):
    deadline = time.time() + timeout
    while time.time() < deadline:
        if condition():
            return True
        time.sleep(0.05)
    return False


def lines(path):
    return path.read_bytes().count(b"\n")


def logged(path):
    return [json.loads(line) for line in path.read_text().splitlines()]


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--gatehouse", required=True)
    args = parser.parse_args()
    tally = Tally("reload")
    workdir = pathlib.Path(tempfile.mkdtemp(prefix="gatehouse-reload-"))
    policy_file, log_file = workdir / "policy.yaml", workdir / "decisions.jsonl"
    versions = {replace(policy_file, policy(1)): 1}
    gatehouse = subprocess.Popen(
        [args.gatehouse, "serve", str(policy_file), "--listen", f"127.0.0.1:{PORT}", "--watch",
         "--decision-log", str(log_file)],
        stdout=subprocess.DEVNULL, stderr=open(workdir / "gatehouse.log", "w"))
    load = None
    # Complete lines in the decision log when the broken file was seen refused, and just before
    # the third policy was written: every decision between them was made under the second.
    marks = {}
    try:
        if not wait_port(PORT):
            raise RuntimeError("gatehouse did not start")
        headers = {"X-Original-URI": "/api/things?page=1", "X-Original-Method": "GET",
                   "Authorization": f"Bearer {TOKEN}"}
        load = wrk_start(f"http://127.0.0.1:{PORT}/v1/auth/nginx", headers, CONNECTIONS, 120)
        time.sleep(1.5)

        second = replace(policy_file, policy(2))
        versions[second] = 2
        tally.check(wait_for(lambda: served_policy() == second), "the second policy is served after the file changed")
        time.sleep(1.5)

        replace(policy_file, BROKEN)
        tally.check(wait_for(lambda: reloads("failed") == 1), "the broken policy is refused and counted")
        marks["broken"] = lines(log_file)
        tally.check(served_policy() == second, "the second policy is still served after the broken file")
        time.sleep(1.5)

        marks["third"] = lines(log_file)
        third = replace(policy_file, policy(3))
        versions[third] = 3
        gatehouse.send_signal(signal.SIGHUP)
        tally.check(wait_for(lambda: served_policy() == third), "the third policy is served")
        time.sleep(2.5)  # the watcher sees the change too, after the SIGHUP loaded it

        totals = wrk_result(load, interrupt=True)
        failures = {key: totals[key] for key in ["connect", "read", "write", "status", "timeout"]}
        tally.check(totals["requests"] > 1000 and not any(failures.values()),
                    f"not one of {totals['requests']} requests failed ({failures})")
        tally.check((reloads("ok"), reloads("failed")) == (2, 1),
                    f"two reloads succeeded and one failed ({reloads('ok')}, {reloads('failed')})")
        check_log(logged(log_file), versions, marks, totals["requests"], tally)
    finally:
        if load is not None and load.poll() is None:
            load.kill()
        stop(gatehouse)
        tally.clean_up(workdir)
    return tally.close()


def check_log(entries, versions, marks, answered, tally):
    """Each decision names a served policy and carries that policy's rule and username; the
    policies follow one another in order, except for the requests in flight at a swap."""
    tally.check(answered <= len(entries) <= answered + CONNECTIONS,
                f"every answered request is logged ({answered} answered, {len(entries)} logged)")
    mismatched = [e for e in entries
                  if versions.get(e["policy"]) is None
                  or (e["rule"], e["username"], e["status"]) != (f"api-v{versions[e['policy']]}",
                                                                 f"bot-v{versions[e['policy']]}", 200)]
    tally.check(not mismatched, f"every decision was made under the policy it names ({mismatched[:3]})")
    order = [versions.get(e["policy"], 0) for e in entries]
    late = sum(1 for index, version in enumerate(order) if version < max(order[:index + 1]))
    tally.check(late < CONNECTIONS, f"policies follow one another in order ({late} decisions out of order)")
    counts = {version: order.count(version) for version in (1, 2, 3)}
    print(f"reload: {len(entries)} decisions, under each policy {counts}, {late} logged after a newer policy's")
    tally.check(all(counts.values()), f"requests were decided under each valid policy ({counts})")
    while_broken = order[marks["broken"]:marks["third"]]
    tally.check(len(while_broken) > 100 and set(while_broken) == {2},
                f"while the file was broken, requests were decided under the second policy "
                f"({len(while_broken)} decisions)")


if __name__ == "__main__":
    sys.exit(main())
