"""Validates the project's files and the CLI's decisions against schemas/ with a real JSON Schema
validator, and checks that the schema and `gatehouse check` agree on the invalid fixtures.

Usage: validate.py --gatehouse BIN --decisions DIR
Prints one closing line `schemas: N passed, N failed` and exits 1 on any failure.
"""
import argparse
import json
import pathlib
import re
import subprocess
import sys

import yaml
from jsonschema import Draft202012Validator
from referencing import Registry, Resource

ROOT = pathlib.Path(__file__).resolve().parents[2]


class StrictLoader(yaml.SafeLoader):
    """YAML 1.2 booleans only (`true`/`false`), as Gatehouse reads them: `no` and `on` stay strings,
    and dates stay strings."""


StrictLoader.yaml_implicit_resolvers = {
    key: [(tag, regexp) for tag, regexp in resolvers
          if tag not in ("tag:yaml.org,2002:bool", "tag:yaml.org,2002:timestamp")]
    for key, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}
StrictLoader.add_implicit_resolver("tag:yaml.org,2002:bool", re.compile(r"^(?:true|false)$"), list("tf"))


def load(path):
    return yaml.load(path.read_text(encoding="utf-8"), Loader=StrictLoader)


def validators():
    schemas = {name: json.loads((ROOT / "schemas" / name).read_text()) for name in
               ["policy.schema.json", "request.schema.json", "decision.schema.json", "test.schema.json",
                "decision-log.schema.json"]}
    registry = Registry().with_resources(
        [(schema["$id"], Resource.from_contents(schema)) for schema in schemas.values()])
    for schema in schemas.values():
        Draft202012Validator.check_schema(schema)
    return {name.removesuffix(".schema.json"): Draft202012Validator(schema, registry=registry) for name, schema in schemas.items()}


class Tally:
    def __init__(self):
        self.passed = 0
        self.failed = 0

    def expect(self, ok, label, detail=""):
        if ok:
            self.passed += 1
        else:
            self.failed += 1
            print(f"FAIL {label}{': ' + detail if detail else ''}")


def first_error(validator, path):
    """The first schema error of the YAML or JSON file at `path` as text, or "" when it is valid."""
    try:
        document = json.loads(path.read_text()) if path.suffix == ".json" else load(path)
    except yaml.YAMLError as error:
        return f"not readable as YAML: {str(error).splitlines()[0]}"
    return schema_error(validator, document)


def schema_error(validator, document):
    errors = sorted(validator.iter_errors(document), key=lambda e: list(e.path))
    return f"{'/'.join(map(str, errors[0].path))}: {errors[0].message}" if errors else ""


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--gatehouse", required=True)
    parser.add_argument("--decisions", required=True)
    args = parser.parse_args()
    check = validators()
    tally = Tally()

    for path in sorted((ROOT / "policies").glob("*.yaml")):
        relative = path.relative_to(ROOT)
        kind = "test" if path.name.endswith(".test.yaml") else "policy"
        text = path.read_text()
        tally.expect(text.startswith(f"# yaml-language-server: $schema=../schemas/{kind}.schema.json"),
                     f"{relative} names its schema on the first line")
        error = first_error(check[kind], path)
        tally.expect(not error, f"{relative} is a valid {kind}", error)

    test_files = [*(ROOT / "Tests/GatehouseTests/Fixtures/cases").glob("*.test.yaml"),
                  *(ROOT / "Tests/gatehouseTests/TestFiles").glob("*.test.yaml"),
                  *(ROOT / "docs/examples/policy-change").glob("*.test.yaml")]
    for path in sorted(test_files):
        error = first_error(check["test"], path)
        tally.expect(not error, f"{path.relative_to(ROOT)} is a valid test file", error)
    for path in sorted((ROOT / "docs/examples/policy-change").glob("*.yaml")):
        if not path.name.endswith(".test.yaml"):
            error = first_error(check["policy"], path)
            tally.expect(not error, f"{path.relative_to(ROOT)} is a valid policy", error)
    # A traffic sample holds request documents and decision-log lines.
    sample = ROOT / "docs/examples/policy-change/decisions.jsonl"
    for number, line in enumerate(sample.read_text().splitlines(), 1):
        document = json.loads(line)
        kind = "decision-log" if "decision_id" in document else "request"
        error = schema_error(check[kind], document)
        tally.expect(not error, f"{sample.relative_to(ROOT)}:{number} is a valid {kind} line", error)

    for path in sorted((ROOT / "Tests/gatehouseTests/Requests").iterdir()):
        valid = not first_error(check["request"], path)
        tally.expect(valid == (path.stem != "malformed"), f"{path.relative_to(ROOT)} request schema verdict")

    fixtures = sorted((ROOT / "Tests/GatehouseTests/Fixtures/check").glob("*.yaml"))
    rejected_by_both = 0
    for path in fixtures:
        relative = path.relative_to(ROOT)
        marker = re.search(r"^# schema: (rejects|cannot tell \(.+\))$", path.read_text(), re.M)
        tally.expect(marker is not None, f"{relative} says whether the schema can reject it")
        result = subprocess.run([args.gatehouse, "check", "--format", "json", str(relative)],
                                cwd=ROOT, capture_output=True, text=True)
        diagnostics = json.loads(result.stdout)["diagnostics"] if result.stdout else []
        tally.expect(result.returncode == 1 and diagnostics, f"{relative} is reported by gatehouse check")
        if marker and marker.group(1) == "rejects":
            error = first_error(check["policy"], path)
            tally.expect(bool(error) and not error.startswith("not readable"), f"{relative} is rejected by the schema")
            rejected_by_both += 1

    decisions = sorted(pathlib.Path(args.decisions).glob("*.json"))
    tally.expect(len(decisions) >= 7, "the CLI tests wrote their JSON decisions", f"found {len(decisions)}")
    for path in decisions:
        error = first_error(check["decision"], path)
        tally.expect(not error, f"decision {path.name} is valid", error)

    logs = sorted(pathlib.Path(args.decisions).glob("*.jsonl"))
    logged = 0
    tally.expect(len(logs) >= 2, "the server tests wrote their decision logs", f"found {len(logs)}")
    for path in logs:
        for number, line in enumerate(path.read_text().splitlines(), 1):
            logged += 1
            error = schema_error(check["decision-log"], json.loads(line))
            tally.expect(not error, f"decision-log line {path.name}:{number} is valid", error)

    print(f"({len(fixtures)} invalid fixtures, {rejected_by_both} rejected by both schema and checker; "
          f"{len(decisions)} CLI decisions and {logged} decision-log lines validated)")
    print(f"schemas: {tally.passed} passed, {tally.failed} failed")
    return 1 if tally.failed else 0


if __name__ == "__main__":
    sys.exit(main())
