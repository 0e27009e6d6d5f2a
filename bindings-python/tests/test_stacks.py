"""mgx.stacks: conversions, lookup, inference and the registry, as Python users meet them."""

import json
import threading

import pytest

import mgx


def test_stacks_lists_every_stack_in_order():
    ids = [s.id for s in mgx.stacks()]
    assert ids == mgx.stack_ids()
    assert len(ids) == 23
    assert ids[:4] == ["express-ts", "nestjs", "laravel", "fastapi"]
    assert ids[-6:] == ["django", "flask", "go-gin", "rust-axum", "rails", "spring-boot"]


def test_stack_fields_convert_to_python_types():
    s = mgx.get_stack("fastapi")
    assert isinstance(s, mgx.StackSpec)
    assert (s.id, s.category, s.language, s.language_name) == ("fastapi", "backend", "py", "Python")
    assert s.package_manager == "pip"
    assert s.test["framework"] == "pytest" and "TestClient" in s.test["template"]
    assert s.linter == {"name": "ruff", "command": "ruff check ."}
    assert s.run["dev"] == "uvicorn app.main:app --reload"
    assert {"path": "app/", "description": "the application package"} in s.layout
    assert "requirements.txt|pyproject.toml" in s.rules["required_files"]
    assert s.inference["keywords"][0] == "fastapi"
    assert ".py" in s.file_extensions
    assert s.is_builtin_module("asyncio") and not s.is_builtin_module("fastapi")
    assert "Review checklist" in s.prompt_brief()
    assert json.loads(s.to_json()) == s.to_dict()
    assert mgx.get_stack("fastapi") == s
    assert hash(mgx.get_stack("fastapi")) == hash(s)
    assert repr(s) == "StackSpec(id='fastapi', name='Python + FastAPI')"
    devops = mgx.get_stack("devops-docker")
    assert devops.test is None and devops.package_manager is None


def test_unknown_stack_raises_with_closest_ids():
    with pytest.raises(mgx.UnknownStackError) as info:
        mgx.get_stack("fastapy")
    err = info.value
    assert isinstance(err, mgx.StackError) and isinstance(err, mgx.MgxError)
    assert err.code == "unknown_stack"
    assert err.id == "fastapy"
    assert err.closest[0] == "fastapi"
    assert "did you mean `fastapi`" in str(err)


def test_inference_result(labelled_tasks):
    got = mgx.infer_stack("an Express API, not FastAPI")
    assert got.stack == "express-ts"
    assert 0.5 <= got.confidence <= 1.0 and got.is_confident
    assert got.candidates[0]["stack"] == "express-ts"
    assert all(c["stack"] != "fastapi" for c in got.candidates)
    assert got.to_dict()["stack"] == "express-ts"

    none = mgx.infer_stack("Build an Angular dashboard")
    assert none.stack is None and none.confidence == 0.0 and not none.is_confident
    assert none.unsupported == ["angular"]
    assert "react-vite" in none.note
    assert repr(none) == "Inference(stack=None, confidence=0)"

    # The same answers as the Rust core on the shared labelled set.
    correct = sum(mgx.infer_stack(task).stack == expected for expected, task in labelled_tasks)
    assert correct / len(labelled_tasks) >= 0.95


def test_registry_registers_stacks_from_data(tmp_path):
    reg = mgx.StackRegistry()
    assert len(reg) == 23 and "fastapi" in reg
    assert reg.infer("Write an Elixir Phoenix API").stack is None
    ids = reg.register_toml(
        'id = "phoenix"\nname = "Elixir + Phoenix"\ncategory = "backend"\nlanguage = "elixir"\n'
        'file_extensions = [".ex"]\n[inference]\nkeywords = ["phoenix"]\n'
    )
    assert ids == ["phoenix"]
    assert reg.infer("Write an Elixir Phoenix API").stack == "phoenix"
    assert reg.ids()[-1] == "phoenix"
    assert "phoenix" not in mgx.stack_ids(), "the built-in registry is untouched"

    with pytest.raises(mgx.DuplicateStackError) as info:
        reg.register({"id": "fastapi", "name": "x", "category": "backend", "language": "py", "file_extensions": [".py"]})
    assert info.value.id == "fastapi"
    assert reg.register(
        {"id": "fastapi", "name": "FastAPI house", "category": "backend", "language": "py", "file_extensions": [".py"]},
        replace=True,
    ) == ["fastapi"]
    assert reg.get("fastapi").name == "FastAPI house"

    empty = mgx.StackRegistry(builtins=False)
    assert len(empty) == 0
    path = tmp_path / "s.json"
    path.write_text(json.dumps([{"id": "one", "name": "One", "category": "devops", "language": "yaml", "file_extensions": [".yml"]}]))
    assert empty.register_file(path) == ["one"]
    assert [s.id for s in empty.stacks()] == ["one"]


def test_bad_stack_data_raises_typed_errors(tmp_path):
    reg = mgx.StackRegistry(builtins=False)
    with pytest.raises(mgx.InvalidStackSpecError) as info:
        reg.register_json('{"id": "Bad Id", "name": "x", "category": "backend", "language": "py", "file_extensions": [".py"]}')
    assert info.value.field == "id" and info.value.code == "invalid_spec"
    with pytest.raises(mgx.StackParseError) as info:
        reg.register_toml("id = ")
    assert info.value.format == "TOML"
    with pytest.raises(mgx.MgxIOError) as info:
        reg.register_file(tmp_path / "missing.toml")
    assert info.value.path.endswith("missing.toml")
    assert len(reg) == 0


def test_inference_from_many_threads():
    results = []

    def work():
        results.append(mgx.infer_stack("Create a NestJS REST API with TypeORM").stack)

    threads = [threading.Thread(target=work) for _ in range(16)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert results == ["nestjs"] * 16
