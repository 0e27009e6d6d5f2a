"""mgx guardrails from Python: the manifest parser, validation, the revision prompt."""

import pytest

import mgx

OUTPUT = """Here is the project.
FILE: app/main.py
```python
import logging
from fastapi import FastAPI
from app.config import settings

app = FastAPI()
```
FILE: requirements.txt
```
fastapi
uvicorn
```
"""


def test_parse_manifest():
    m = mgx.parse_manifest(OUTPUT)
    assert len(m) == 2
    assert m.paths() == ["app/main.py", "requirements.txt"]
    first = m.files[0]
    assert first["path"] == "app/main.py"
    assert first["content"].startswith("import logging\n")
    assert first["line"] == 2 and first["fence"] == "python"
    assert m.prose == [{"line": 1, "end_line": 1, "text": "Here is the project."}]
    assert m.duplicates == []
    again = mgx.parse_manifest(m.render())
    assert [(f["path"], f["content"]) for f in again.files] == [(f["path"], f["content"]) for f in m.files]
    assert m.to_dict()["files"][1]["path"] == "requirements.txt"
    assert repr(m) == "Manifest(2 files, 1 prose spans)"


def test_bytes_input_and_invalid_utf8():
    assert len(mgx.parse_manifest(OUTPUT.encode())) == 2
    with pytest.raises(mgx.InvalidUtf8Error) as info:
        mgx.parse_manifest(b"FILE: a\n\xff")
    assert (info.value.code, info.value.offset, info.value.line) == ("invalid_utf8", 8, 2)
    with pytest.raises(TypeError):
        mgx.parse_manifest(42)


def test_validate_output_with_a_stack_id_or_spec():
    result = mgx.validate_output(OUTPUT, stack="fastapi", constraints=["No extra libraries"])
    assert result.is_valid and bool(result)
    assert result.errors == []
    assert result.summary().startswith("validation passed")
    same = mgx.validate_output(OUTPUT, stack=mgx.get_stack("fastapi"), constraints=["No extra libraries"])
    assert same.to_dict() == result.to_dict()

    strict = mgx.validate_output(OUTPUT, stack="fastapi", strict=True)
    assert not strict.is_valid
    assert strict.has("prose_outside_files")
    assert strict.errors[0] == {
        "code": "prose_outside_files",
        "severity": "error",
        "message": "strict mode: text outside files at line 1: `Here is the project.`",
        "path": None,
        "line": 1,
    }


def test_validate_output_findings():
    bad = "FILE: ../x.py\nimport os\nFILE: app/main.py\nfrom django import x\n"
    result = mgx.validate_output(bad, stack="fastapi", constraints=["Use Pydantic models"])
    codes = [f["code"] for f in result.errors]
    assert codes == ["invalid_path", "forbidden_import", "missing_required_file"]
    assert result.errors[1]["path"] == "app/main.py" and result.errors[1]["line"] == 4
    assert result.notes[0]["code"] == "constraint_not_checked"
    assert repr(result).startswith("ValidationResult(validation failed")
    with pytest.raises(mgx.UnknownStackError):
        mgx.validate_output(bad, stack="fastapy")


def test_custom_stack_from_a_registry():
    reg = mgx.StackRegistry()
    reg.register_toml('id = "mini"\nname = "Mini"\ncategory = "backend"\nlanguage = "py"\nfile_extensions = [".py"]\n[rules]\nrequired_files = ["main.py"]\n')
    result = mgx.validate_output("FILE: other.py\nx = 1\n", stack=reg.get("mini"))
    assert [f["code"] for f in result.errors] == ["missing_required_file"]


def test_revision_prompt():
    result = mgx.validate_output("FILE: main.go\npackage main\n", stack="fastapi")
    prompt = mgx.build_revision_prompt(result, "Create a FastAPI /health endpoint")
    assert prompt.startswith("OUTPUT VALIDATION FAILED")
    assert "Original task: Create a FastAPI /health endpoint" in prompt
    assert prompt == mgx.build_revision_prompt(result, "Create a FastAPI /health endpoint")
