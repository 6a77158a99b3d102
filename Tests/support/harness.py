"""What the Python test and benchmark scripts share: waiting for a port, one GET, a token from
nanoidp, a pass/fail tally, stopping processes by PID, running `wrk` with `report.lua` so its totals
come back as a dict, and a process's resident memory."""
import base64
import http.client
import json
import os
import pathlib
import shutil
import signal
import socket
import subprocess
import time
import urllib.parse
import urllib.request

HERE = pathlib.Path(__file__).resolve().parent


def wait_port(port, timeout=30):
    deadline = time.time() + timeout
    while time.time() < deadline:
        with socket.socket() as s:
            if s.connect_ex(("127.0.0.1", port)) == 0:
                return True
        time.sleep(0.1)
    return False


def get(port, path, headers=None, timeout=10):
    """One GET on a fresh connection: (status, headers, body)."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        connection.request("GET", path, headers=headers or {})
        response = connection.getresponse()
        return response.status, dict(response.getheaders()), response.read()
    finally:
        connection.close()


def nanoidp_token(issuer, username="admin", password="admin"):
    """An access token from nanoidp's password grant, as its demo client."""
    data = urllib.parse.urlencode({"grant_type": "password", "username": username, "password": password}).encode()
    request = urllib.request.Request(issuer + "/token", data=data)
    request.add_header("Authorization", "Basic " + base64.b64encode(b"demo-client:demo-secret").decode())
    return json.load(urllib.request.urlopen(request, timeout=10))["access_token"]


class Tally:
    """Counts checks; prints each failure as it happens and the closing `NAME: N passed, N failed`."""

    def __init__(self, name):
        self.name = name
        self.passed = self.failed = 0

    def check(self, ok, label):
        if ok:
            self.passed += 1
        else:
            self.failed += 1
            print(f"FAIL {label}")
        return ok

    def clean_up(self, workdir):
        """Removes a test's working folder when every check passed; else says where its logs are."""
        if self.failed == 0:
            shutil.rmtree(workdir, ignore_errors=True)
        else:
            print(f"(logs in {workdir})")

    def close(self):
        print(f"{self.name}: {self.passed} passed, {self.failed} failed")
        return 1 if self.failed else 0


def stop(*processes):
    """Ends each process by its PID: SIGTERM, then SIGKILL after 10 s."""
    for process in processes:
        if process is not None and process.poll() is None:
            process.terminate()
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


def wrk_command(url, headers, connections, seconds, threads=1):
    command = ["wrk", f"-t{threads}", f"-c{connections}", f"-d{seconds}s", "-s", str(HERE / "report.lua")]
    for name, value in headers.items():
        command += ["-H", f"{name}: {value}"]
    return command + [url]


def wrk_start(url, headers, connections, seconds, threads=1, delay_ms=0):
    """Starts wrk; `wrk_result` collects what it reports. With `delay_ms`, each connection waits
    that long between a response and its next request: a paced load instead of a flood."""
    env = dict(os.environ, WRK_DELAY_MS=str(delay_ms))
    return subprocess.Popen(wrk_command(url, headers, connections, seconds, threads), env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)


def wrk_result(process, interrupt=False):
    """The totals of a wrk run (after SIGINT when `interrupt`, which wrk answers with its report)."""
    if interrupt:
        process.send_signal(signal.SIGINT)
    output, _ = process.communicate(timeout=120)
    for line in reversed(output.splitlines()):
        if line.startswith("{"):
            return json.loads(line)
    raise RuntimeError(f"wrk printed no report:\n{output}")


def wrk(url, headers, connections, seconds, threads=1, delay_ms=0):
    return wrk_result(wrk_start(url, headers, connections, seconds, threads, delay_ms))


def resident_kib(pid):
    """(VmRSS, VmHWM) of a process, in KiB."""
    fields = {}
    for line in pathlib.Path(f"/proc/{pid}/status").read_text().splitlines():
        key, _, value = line.partition(":")
        fields[key] = value.strip()
    return int(fields["VmRSS"].split()[0]), int(fields["VmHWM"].split()[0])
