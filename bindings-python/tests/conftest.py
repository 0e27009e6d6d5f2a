import pathlib

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[2]


@pytest.fixture
def labelled_tasks():
    """The labelled inference set shared with the Rust tests."""
    path = ROOT / "mgx-stacks" / "tests" / "data" / "inference.tsv"
    cases = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.startswith("#") or not line.strip():
            continue
        expected, _, task = line.partition("\t")
        cases.append((None if expected == "-" else expected, task))
    return cases
