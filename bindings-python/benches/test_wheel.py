"""What the wheel costs and saves, measured with pytest-benchmark.

    .venv/bin/python -m pytest bindings-python/benches --benchmark-only --benchmark-columns=median,ops

Each pair does the same work through the wheel and in plain Python in the same run: the
plain-Python side is a straightforward implementation of a *subset* of what the wheel does
(manifest parsing with path checks and required files; exact-context hunk placement with an
offset search), so the ratios understate the wheel's advantage. CI runs this file once per case
with `--benchmark-disable` to keep it working; figures go to benches/README.md.
"""

import asyncio
import re

import pytest

import mgx

# --- validation ------------------------------------------------------------------------------

FILES = 60
LINES = 40


def manifest():
    parts = ["FILE: requirements.txt\nfastapi\nuvicorn\npytest\n", "FILE: app/__init__.py\n\n"]
    parts.append("FILE: app/main.py\nfrom fastapi import FastAPI\n\napp = FastAPI()\n")
    for i in range(FILES):
        body = "".join(f"    value_{j} = {j} * {i}  # line {j}\n" for j in range(LINES))
        parts.append(f"FILE: app/module_{i}.py\nimport os\n\n\ndef handler_{i}():\n{body}    return value_0\n")
    parts.append("FILE: tests/test_main.py\nfrom app.main import app\n\n\ndef test_app():\n    assert app\n")
    return "".join(parts)


MARKER = re.compile(r"^FILE:\s*(\S.*?)\s*$")
SAFE = re.compile(r"^[A-Za-z0-9_.\-/]+$")


def validate_in_python(text, required=("requirements.txt", "app/main.py")):
    """Parse FILE markers, check every path, find duplicates and missing required files."""
    files, current, errors = {}, None, []
    for line in text.splitlines(keepends=True):
        m = MARKER.match(line)
        if m:
            current = m.group(1)
            if current in files:
                errors.append(("duplicate_file", current))
            files[current] = []
            continue
        if current is not None:
            files[current].append(line)
    for path in files:
        parts = path.split("/")
        if path.startswith("/") or ".." in parts or not SAFE.match(path) or "" in parts:
            errors.append(("invalid_path", path))
    for path in required:
        if path not in files:
            errors.append(("missing_required_file", path))
    return {p: "".join(body) for p, body in files.items()}, errors


@pytest.fixture(scope="module")
def big_manifest():
    return manifest()


def test_validate_wheel(benchmark, big_manifest):
    result = benchmark(mgx.validate_output, big_manifest, "fastapi")
    assert result.is_valid, result.summary


def test_validate_plain_python(benchmark, big_manifest):
    files, errors = benchmark(validate_in_python, big_manifest)
    assert len(files) == FILES + 4 and errors == []


# --- patching --------------------------------------------------------------------------------

ORIGINAL = "".join(f"line {i}: some code here = {i * 7}\n" for i in range(4000))


def edited():
    lines = ORIGINAL.splitlines(keepends=True)
    for k in range(40):
        i = 50 + k * 97
        lines[i] = f"line {i}: changed code = {i}\n"
        lines.insert(i + 1, f"# added after {i}\n")
    return "".join(lines)


HUNK = re.compile(r"^@@ -(\d+)(?:,(\d+))? \+(\d+)(?:,(\d+))? @@")


def apply_in_python(text, diff):
    """Apply a unified diff to one file's text: exact context, searched outward from the stated
    line (the core also tries fuzzier placements, checks paths, and writes transactionally)."""
    lines = text.splitlines(keepends=True)
    hunks, current = [], None
    for line in diff.splitlines(keepends=True)[2:]:
        m = HUNK.match(line)
        if m:
            current = (int(m.group(1)), [], [])
            hunks.append(current)
        elif current is not None and line[:1] in (" ", "-", "+"):
            if line[0] in (" ", "-"):
                current[1].append(line[1:])
            if line[0] in (" ", "+"):
                current[2].append(line[1:])
    offset = 0
    for start, old, new in hunks:
        want = start - 1 + offset
        for delta in range(len(lines)):
            placed = None
            for at in (want - delta, want + delta):
                if 0 <= at and lines[at : at + len(old)] == old:
                    placed = at
                    break
            if placed is not None:
                break
        else:
            raise ValueError("hunk does not apply")
        lines[placed : placed + len(old)] = new
        offset += len(new) - len(old) + (placed - want)
    return "".join(lines)


@pytest.fixture(scope="module")
def project(tmp_path_factory):
    root = tmp_path_factory.mktemp("patch")
    (root / "big.txt").write_text(ORIGINAL)
    return root, mgx.make_diff(ORIGINAL, edited(), "big.txt")


def test_patch_wheel(benchmark, project):
    root, diff = project
    result = benchmark(mgx.apply_patch, root, diff, dry_run=True)
    assert result.ok


def test_patch_plain_python(benchmark, project):
    root, diff = project
    text = (root / "big.txt").read_text()
    assert benchmark(apply_in_python, text, diff) == edited()


# --- per-call overhead -----------------------------------------------------------------------


def test_overhead_of_a_trivial_call(benchmark):
    assert benchmark(mgx.stack_ids)


def test_overhead_of_an_async_provider_call(benchmark):
    provider = mgx.Scripted(["4"] * 300_000)  # one answer per call
    loop = asyncio.new_event_loop()
    messages = [{"role": "user", "content": "2+2?"}]

    async def one():
        return await provider.complete(messages)

    def call():
        return loop.run_until_complete(one())

    assert benchmark(call)["content"] == "4"
    loop.close()


def test_a_whole_offline_team_run(benchmark):
    team = mgx.Team(stack="fastapi", dry_run=True)
    report = benchmark(team.run_sync, "Create a FastAPI /health endpoint with tests")
    assert report.ok
