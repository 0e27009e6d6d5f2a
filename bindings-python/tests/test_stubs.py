"""The shipped .pyi stubs describe exactly what the native module exports."""

import ast
import pathlib

import mgx
from mgx import _mgx

STUB = pathlib.Path(mgx.__file__).with_name("_mgx.pyi")
TYPING_ONLY = {
    "Category", "OutputMode", "ProjectType", "TestFramework", "Tool", "LayoutEntry", "RunCommands",
    "ValidationRules", "PromptMaterial", "InferenceHints", "Evidence", "Candidate",
    "ManifestFileDict", "ProseSpanDict", "DuplicateDict", "Finding",
    "ChatMessageDict", "UsageDict", "ChatResponseDict", "ChatDeltaDict", "CompletesChat", "CassetteMode",
    "CacheStatsDict", "EventType", "EventDict", "MessageDict", "ReviewDict", "VerdictDict",
    "ApprovalAnswer", "RunProfileDict", "RoleMessageDict", "ReactsToMessages",
}


def stub_names():
    tree = ast.parse(STUB.read_text(encoding="utf-8"))
    names = {}
    for node in tree.body:
        if isinstance(node, (ast.ClassDef, ast.FunctionDef)):
            names[node.name] = node
        elif isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name):
            names[node.target.id] = node
        elif isinstance(node, ast.Assign):
            for target in node.targets:
                if isinstance(target, ast.Name):
                    names[target.id] = node
    return names


def stub_members(node, names):
    """A stubbed class's methods and properties, with those of its stubbed base classes."""
    members = {n.name for n in node.body if isinstance(n, ast.FunctionDef)}
    for base in node.bases:
        if isinstance(base, ast.Name) and isinstance(names.get(base.id), ast.ClassDef):
            members |= stub_members(names[base.id], names)
    return members


def test_every_export_has_a_stub_and_every_stub_an_export():
    exported = {n for n in dir(_mgx) if not n.startswith("_") or n == "__version__"}
    stubbed = set(stub_names()) - TYPING_ONLY
    assert exported == stubbed


def test_stub_classes_list_the_real_members():
    for name, node in stub_names().items():
        if not isinstance(node, ast.ClassDef) or name in TYPING_ONLY:
            continue
        cls = getattr(_mgx, name)
        if issubclass(cls, BaseException):
            continue
        members = stub_members(node, stub_names())
        real = {m for m in dir(cls) if not m.startswith("_")}
        dunder = {"__init__", "__eq__", "__hash__", "__len__", "__contains__", "__bool__", "__await__", "__aiter__", "__anext__"}
        assert real == members - dunder, name


def test_package_reexports_the_module():
    assert set(mgx.__all__) == {n for n in dir(_mgx) if not n.startswith("_") or n == "__version__"}
    assert (pathlib.Path(mgx.__file__).parent / "py.typed").exists()
