"""The README's Python snippet runs as written."""

import contextlib
import io
import re

from conftest import ROOT


def test_readme_python_snippet_runs(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # the team snippet writes out/
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    blocks = re.findall(r"```python\n(.*?)```", readme, re.S)
    assert blocks, "the README has a Python snippet"
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        for block in blocks:
            exec(compile(block, "README.md", "exec"), {})
    assert "invalid_value ['generate_new', 'patch_existing']" in out.getvalue()
    assert "completed ['app/__init__.py', 'app/config.py']" in out.getvalue()
    assert "completed\n" in out.getvalue()  # the custom role's run
    assert (tmp_path / "out" / "app" / "main.py").is_file()


def test_package_docstring_examples_run():
    import doctest

    import mgx

    result = doctest.testmod(mgx)
    assert result.attempted >= 3 and result.failed == 0
