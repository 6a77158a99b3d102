"""Builds the seed corpus of each fuzz harness (see scripts/fuzz) from the project's own fixtures,
the committed seeds (Fuzz/seeds/) and past crashes (Fuzz/regressions/), and the third-party
vectors in ../shared/vectors/ (read in place, never copied into the repository).

Usage: corpus.py OUT     writes OUT/HARNESS/ for every harness; prints how many seeds each has.
"""
import hashlib
import json
import pathlib
import re
import sys

ROOT = pathlib.Path(__file__).resolve().parents[1]
VECTORS = ROOT.parent / "shared" / "vectors"
JWS = re.compile(r"eyJ[A-Za-z0-9_-]*\.[A-Za-z0-9_-]*\.[A-Za-z0-9_-]*")


def files(*patterns):
    for pattern in patterns:
        yield from sorted(ROOT.glob(pattern))


def parity_cases():
    return json.loads((ROOT / "Tests/parity/cases.json").read_text())["cases"]


def seeds():
    yield "policy", (path.read_bytes() for path in files(
        "policies/*.yaml", "Tests/GatehouseTests/Fixtures/check/*.yaml", "Tests/GatehouseTests/Fixtures/cases/*.yaml",
        "docs/examples/policy-change/*.yaml", "Tests/gateways/policy.yaml", "Tests/parity/policy.yaml")
        if not path.name.endswith(".test.yaml"))
    yield "testfile", (path.read_bytes() for path in files(
        "policies/*.test.yaml", "Tests/GatehouseTests/Fixtures/cases/*.test.yaml", "Tests/gatehouseTests/TestFiles/*.yaml"))
    yield "traffic", (path.read_bytes() for path in files("docs/examples/policy-change/*.jsonl", "Tests/gatehouseTests/Diff/*.jsonl"))
    targets = set()
    for text in (ROOT / "Tests/GatehouseTests/RequestTargetTests.swift").read_text().splitlines():
        targets.update(re.findall(r'\("(/[^"]*)"', text))
    for case in parity_cases():
        targets.update(value for name, value in case["headers"] if name.lower() in ("x-original-uri", "x-forwarded-uri"))
    yield "target", (target.encode() for target in sorted(targets))
    tokens = set()
    for path in sorted(VECTORS.rglob("*.json")):
        tokens.update(JWS.findall(path.read_text(errors="replace")))
    yield "token", (token.encode() for token in sorted(tokens))
    requests = []
    for case in parity_cases():
        lines = [f"{case['method']} {case['target']} HTTP/1.1", "Host: gatehouse"]
        lines += [f"{name}: {value}" for name, value in case["headers"]]
        requests.append(("\r\n".join(lines) + "\r\n\r\n").encode())
    yield "gateway", iter(requests)


def main():
    out = pathlib.Path(sys.argv[1])
    for harness, inputs in seeds():
        folder = out / harness
        folder.mkdir(parents=True, exist_ok=True)
        committed = sorted((ROOT / "Fuzz/seeds" / harness).iterdir())
        regressions = ROOT / "Fuzz/regressions" / harness
        committed += sorted(regressions.iterdir()) if regressions.is_dir() else []
        count = 0
        for data in [path.read_bytes() for path in committed] + list(inputs):
            (folder / hashlib.sha1(data).hexdigest()).write_bytes(data)
            count += 1
        print(f"{harness}: {count} seeds")


if __name__ == "__main__":
    main()
