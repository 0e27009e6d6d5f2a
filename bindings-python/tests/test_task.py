"""mgx.TaskSpec: the JSON task contract and its typed errors."""

import json

import pytest

import mgx


def test_full_contract():
    t = mgx.TaskSpec.from_json(
        json.dumps(
            {
                "task": "Create a REST API for user management",
                "target_stack": "fastapi",
                "project_type": "api",
                "output_mode": "patch_existing",
                "strict_requirements": True,
                "constraints": ["Use Pydantic models"],
                "existing_project_path": "./my-project",
            }
        )
    )
    assert t.task == "Create a REST API for user management"
    assert t.target_stack == "fastapi"
    assert t.project_type == "api"
    assert t.output_mode == "patch_existing"
    assert t.strict_requirements is True
    assert t.constraints == ["Use Pydantic models"]
    assert t.existing_project_path == "./my-project"
    assert mgx.TaskSpec.from_json(t.to_json()) == t
    assert t.to_dict()["target_stack"] == "fastapi"
    resolved = t.resolve_stack()
    assert resolved.source == "explicit" and resolved.confidence == 1.0
    assert resolved.stack.id == "fastapi" and resolved.inference is None


def test_plain_text_and_parse():
    t = mgx.TaskSpec.from_text("  Create a FastAPI /health endpoint with tests ")
    assert t.task == "Create a FastAPI /health endpoint with tests"
    assert t.target_stack is None and t.output_mode == "generate_new" and t.constraints == []
    assert mgx.TaskSpec.parse('{"task": "Create a FastAPI /health endpoint with tests"}') == t
    resolved = t.resolve_stack()
    assert resolved.source == "inferred"
    assert resolved.stack.id == "fastapi"
    assert resolved.inference.stack == "fastapi"
    assert repr(t) == "TaskSpec(task='Create a FastAPI /health endpoint with tests', target_stack=None)"


@pytest.mark.parametrize(
    ("payload", "exc", "code", "attrs"),
    [
        ('{"task": "  "}', mgx.EmptyTaskError, "empty_task", {}),
        ("{}", mgx.MissingFieldError, "missing_field", {"field": "task"}),
        ('{"task": "x", "stack": "fastapi"}', mgx.UnknownFieldError, "unknown_field", {"field": "stack"}),
        ('{"task": "x", "project_type": "cli"}', mgx.InvalidValueError, "invalid_value", {"field": "project_type", "value": "cli"}),
        ('{"task": "x", "output_mode": "overwrite"}', mgx.InvalidValueError, "invalid_value", {"field": "output_mode"}),
        ('{"task": "x", "output_mode": "patch_existing"}', mgx.MissingProjectPathError, "missing_project_path", {}),
        ('{"task": 1}', mgx.WrongTypeError, "wrong_type", {"field": "task", "expected": "a string", "found": "a number"}),
        ('{"task": "x", "constraints": ["a", 2]}', mgx.WrongTypeError, "wrong_type", {"field": "constraints[1]"}),
        ('{"task": "x",', mgx.InvalidJsonError, "invalid_json", {"line": 1}),
        ('{"task": "x", "target_stack": "fastapy"}', mgx.UnknownStackError, "unknown_stack", {"closest": ["fastapi"]}),
    ],
)
def test_bad_input_raises_its_own_exception(payload, exc, code, attrs):
    with pytest.raises(exc) as info:
        mgx.TaskSpec.from_json(payload)
    err = info.value
    assert isinstance(err, mgx.MgxError)
    assert err.code == code
    for name, value in attrs.items():
        assert getattr(err, name) == value, name
    if code != "unknown_stack":
        assert isinstance(err, mgx.TaskError)


def test_allowed_values_are_listed():
    with pytest.raises(mgx.InvalidValueError) as info:
        mgx.TaskSpec.from_json('{"task": "x", "output_mode": "overwrite"}')
    assert info.value.allowed == ["generate_new", "patch_existing"]
    with pytest.raises(mgx.UnknownFieldError) as info:
        mgx.TaskSpec.from_json('{"task": "x", "mode": "y"}')
    assert "existing_project_path" in info.value.allowed


def test_target_stack_checked_against_a_custom_registry():
    reg = mgx.StackRegistry()
    reg.register({"id": "phoenix", "name": "Phoenix", "category": "backend", "language": "elixir", "file_extensions": [".ex"]})
    payload = '{"task": "x", "target_stack": "phoenix"}'
    with pytest.raises(mgx.UnknownStackError):
        mgx.TaskSpec.from_json(payload)
    t = mgx.TaskSpec.from_json(payload, registry=reg)
    assert t.resolve_stack(reg).stack.id == "phoenix"
