"""Runs the shell examples in README.md and docs/*.md and compares their output with the text
pasted under them, so the docs stay true.

An example is a fenced ```console block: each line starting with `$ ` is a command (run with bash
from the project root, with `gatehouse` meaning the built binary); the lines after it, up to the
next command, are its expected standard output and error. Commands ending in `\\` continue on the
next line. A fenced block right after `<!-- file: PATH -->` must equal that file. In expected output, `…` stands for any text on that line (token ids, timestamps).
Prints `docs: N passed, N failed`.
"""
import argparse
import os
import pathlib
import re
import subprocess
import sys
import tempfile

ROOT = pathlib.Path(__file__).resolve().parents[2]
BLOCK = re.compile(r"^```console\n(.*?)^```", re.S | re.M)
FILE_BLOCK = re.compile(r"^<!-- file: (\S+) -->\n```[^\n]*\n(.*?)^```", re.S | re.M)


def examples(path):
    for block in BLOCK.findall(path.read_text(encoding="utf-8")):
        lines = block.splitlines()
        index = 0
        while index < len(lines):
            if not lines[index].startswith("$ "):
                index += 1
                continue
            command = lines[index][2:]
            while command.endswith("\\") and index + 1 < len(lines):
                index += 1
                command = command + "\n" + lines[index]
            index += 1
            output = []
            while index < len(lines) and not lines[index].startswith("$ "):
                output.append(lines[index])
                index += 1
            yield command, "\n".join(output).rstrip()


def matches(actual, wanted):
    """Line by line; `…` in a wanted line matches any text."""
    actual_lines, wanted_lines = actual.splitlines(), wanted.splitlines()
    if len(actual_lines) != len(wanted_lines):
        return False
    for got, want in zip(actual_lines, wanted_lines):
        pattern = "^" + ".*".join(re.escape(part) for part in want.split("…")) + "$"
        if not re.match(pattern, got):
            return False
    return True


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--gatehouse", required=True)
    args = parser.parse_args()
    passed = failed = 0
    with tempfile.TemporaryDirectory() as bin_dir:
        os.symlink(pathlib.Path(args.gatehouse).resolve(), pathlib.Path(bin_dir) / "gatehouse")
        env = dict(os.environ, PATH=f"{bin_dir}:{os.environ['PATH']}")
        documents = [ROOT / "README.md"] + sorted((ROOT / "docs").glob("*.md"))
        for document in documents:
            for command, expected in examples(document):
                if command.startswith("scripts/test"):
                    continue  # the test command itself
                result = subprocess.run(["bash", "-c", command], cwd=ROOT, env=env, capture_output=True, text=True)
                actual = "\n".join(line.rstrip() for line in (result.stdout + result.stderr).rstrip().splitlines())
                wanted = "\n".join(line.rstrip() for line in expected.splitlines())
                if matches(actual, wanted):
                    passed += 1
                else:
                    failed += 1
                    print(f"FAIL {document.relative_to(ROOT)}: $ {command}\n--- expected\n{wanted}\n--- actual\n{actual}\n")
        # A block announced by `<!-- file: PATH -->` must show that file exactly.
        for document in documents:
            for path, shown in FILE_BLOCK.findall(document.read_text(encoding="utf-8")):
                if (ROOT / path).read_text(encoding="utf-8") == shown:
                    passed += 1
                else:
                    failed += 1
                    print(f"FAIL {document.relative_to(ROOT)}: the copy of {path} differs from the file")
    print(f"docs: {passed} passed, {failed} failed")
    return 1 if failed or passed == 0 else 0


if __name__ == "__main__":
    sys.exit(main())
