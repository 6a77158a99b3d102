"""The image's content, proven without a container engine: `gatehouse` built with
--static-swift-stdlib, its root made by scripts/image-root (the binary, the system libraries ldd
lists, CA certificates, a non-root user: a distroless `cc`-style root), and `check`, `evaluate`
and `serve` (over TLS, with a client CA) run inside that root with chroot as user 65532, against
the running nanoidp. Each runs in a new mount namespace with /proc mounted in the root, as every
container runtime mounts it: the Swift runtime reads the command line from /proc/self/cmdline
(without it, every command sees no arguments and prints the usage). Shown:

- the binary links no Swift runtime library; the root holds no shell and no package manager;
- `check` finds nothing, `evaluate` verifies a nanoidp token (its key set fetched from inside) and
  allows it as `admin`, a request without a token is denied 401;
- `serve` answers a gateway with the client certificate 200 as `admin`, `/healthz` on the health
  port, and exits 0 on SIGTERM.

Usage: run.py --gatehouse STATIC_BIN     Prints `image: N passed, N failed`.
"""
import argparse
import json
import os
import pathlib
import shutil
import signal
import subprocess
import sys
import tempfile

ROOT = pathlib.Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "Tests/support"))
sys.path.insert(0, str(ROOT / "Tests/tls"))
from harness import Tally, get, nanoidp_token, stop, wait_port  # noqa: E402
import run as tls  # noqa: E402

NANOIDP = os.environ.get("GATEHOUSE_NANOIDP", "http://127.0.0.1:9411")
HEALTH = 19161
USER = "65532:65532"


def inside(image, *arguments):
    """A command of the image's binary, run in the image's root as its non-root user, in a mount
    namespace of its own with /proc mounted (the process is the binary itself: `exec`)."""
    script = f'mount -t proc proc "{image}/proc" && exec chroot --userspec={USER} "{image}" /usr/local/bin/gatehouse "$@"'
    return ["unshare", "--mount", "sh", "-c", script, "sh", *arguments]


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--gatehouse", required=True, help="a gatehouse built with --static-swift-stdlib")
    args = parser.parse_args()
    tally = Tally("image")
    workdir = pathlib.Path(tempfile.mkdtemp(prefix="gatehouse-image-"))
    os.chmod(workdir, 0o755)
    image = workdir / "root"
    linked = subprocess.run(["ldd", args.gatehouse], capture_output=True, text=True).stdout
    swift = [line.split()[0] for line in linked.splitlines() if "libswift" in line or "libFoundation" in line
             or "libdispatch" in line]
    tally.check(not swift, f"the binary links no Swift runtime library dynamically ({swift})")
    subprocess.run([str(ROOT / "scripts/image-root"), args.gatehouse, str(image)], check=True)
    files = [path for path in image.rglob("*") if path.is_file()]
    size = sum(path.stat().st_size for path in files) / 2**20
    print(f"image: the root holds {len(files)} files, {size:.1f} MiB: "
          + ", ".join(sorted(str(path.relative_to(image)) for path in files)))
    tools = [name for name in ["bin/sh", "bin/bash", "usr/bin/apt", "usr/bin/dpkg", "usr/bin/env"]
             if (image / name).exists()]
    tally.check(not tools, f"the root holds no shell and no package manager ({tools})")
    (image / "proc").mkdir()  # the mount point a container runtime makes
    # What the test brings in, beside the image's own files: a policy and TLS certificates.
    work = image / "work"
    work.mkdir()
    shutil.copy(ROOT / "policies/local-nanoidp.yaml", work / "policy.yaml")
    certs = workdir / "certs"
    certs.mkdir()
    tls.make_certificates(certs)
    for name in ["server.pem", "server.key", "gateways-ca.pem"]:
        shutil.copy(certs / name, work / name)
        os.chmod(work / name, 0o644)
    environment = dict(os.environ, NANOIDP_CLIENT_SECRET="demo-secret")
    result = subprocess.run(inside(image, "check", "/work/policy.yaml"), capture_output=True, text=True,
                            env=environment, timeout=60)
    tally.check(result.returncode == 0 and result.stdout.strip() == "/work/policy.yaml: ok (3 rule(s), 1 provider(s))",
                f"check runs in the root and finds nothing ({result.returncode} {result.stdout.strip()[:200]}"
                f" {result.stderr.strip()[:200]})")
    token = nanoidp_token(NANOIDP)
    result = subprocess.run(
        inside(image, "evaluate", "/work/policy.yaml", "--path", "/rest/things", "--header",
               f"Authorization: Bearer {token}", "--format", "json"),
        capture_output=True, text=True, env=environment, timeout=60)
    try:
        decision = json.loads(result.stdout)
    except ValueError:
        decision = {}
    tally.check(result.returncode == 0 and decision.get("decision") == "allow"
                and decision.get("identity", {}).get("username") == "admin",
                f"evaluate verifies a nanoidp token from inside the root and allows it as admin "
                f"({result.returncode} {decision or result.stderr.strip()})")
    result = subprocess.run(inside(image, "evaluate", "/work/policy.yaml", "--path", "/rest/things"),
                            capture_output=True, text=True, env=environment, timeout=60)
    tally.check(result.returncode == 1 and result.stdout.startswith("deny 401 credentials.missing"),
                f"evaluate without a token: deny 401 ({result.returncode} {result.stdout.splitlines()[:1]})")
    serve = subprocess.Popen(
        inside(image, "serve", "/work/policy.yaml", "--listen", f"127.0.0.1:{tls.GATEHOUSE}",
               "--tls-cert", "/work/server.pem", "--tls-key", "/work/server.key",
               "--tls-client-ca", "/work/gateways-ca.pem", "--health-listen", f"127.0.0.1:{HEALTH}"),
        env=environment, stdout=open(workdir / "serve.log", "w"), stderr=subprocess.STDOUT)
    try:
        if not wait_port(tls.GATEHOUSE) or not wait_port(HEALTH):
            raise RuntimeError("serve did not start in the root")
        connection = tls.http.client.HTTPSConnection("127.0.0.1", tls.GATEHOUSE, timeout=10,
                                                     context=tls.client_context(certs, "gateway"))
        connection.request("GET", "/v1/auth/nginx", headers={
            "X-Original-URI": "/rest/things", "X-Original-Method": "GET", "Authorization": f"Bearer {token}"})
        response = connection.getresponse()
        user = response.getheader("X-Auth-User")
        connection.close()
        tally.check(response.status == 200 and user == "admin",
                    f"serve in the root answers a gateway over TLS: 200 as admin ({response.status} {user})")
        tally.check(get(HEALTH, "/healthz")[0] == 200, "serve in the root answers /healthz on the health port")
        serve.send_signal(signal.SIGTERM)
        code = serve.wait(timeout=20)
        tally.check(code == 0, f"serve in the root exits 0 on SIGTERM ({code})")
    finally:
        stop(serve)
        tally.clean_up(workdir)
    return tally.close()


if __name__ == "__main__":
    sys.exit(main())
