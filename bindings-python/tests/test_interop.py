"""Cassettes are one format in Rust, Python and Node: the team run recorded in
``mgx-core/tests/data/interop`` is what each language records, byte for byte, and each replays it
strictly (the Rust test `cassette::interop_*` checks the same file)."""

import json

import mgx

from conftest import ROOT

INTEROP = ROOT / "mgx-core" / "tests" / "data" / "interop"
TASK = "Create a FastAPI /health endpoint with tests"


def answers():
    return json.loads((INTEROP / "answers.json").read_text(encoding="utf-8"))


async def test_python_records_the_shared_cassette_byte_for_byte(tmp_path):
    path = tmp_path / "team-run.jsonl"
    recorder = mgx.Cassette(path, mode="record", provider=mgx.Scripted(answers()))
    report = await mgx.Team(provider=recorder, stack="fastapi", dry_run=True).run(TASK)
    assert report.ok, report.error
    assert path.read_bytes() == (INTEROP / "team-run.jsonl").read_bytes()


async def test_python_replays_the_shared_cassette_without_a_provider():
    player = mgx.Cassette(INTEROP / "team-run.jsonl", mode="replay_strict", model="scripted")
    report = await mgx.Team(provider=player, stack="fastapi", dry_run=True).run(TASK)
    assert report.ok, report.error
    assert report.files == ["app/main.py", "requirements.txt", "tests/test_health.py"]
