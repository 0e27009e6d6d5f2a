r"""mgx: a runtime for AI software-engineering teams.

The Python package wraps the Rust core (the ``mgx._mgx`` extension): the same stacks, inference
and task contract as the Rust crates and the Node module.

>>> import mgx
>>> mgx.infer_stack("Build an Express API with JWT auth, not FastAPI").stack
'express-ts'
>>> mgx.get_stack("fastapi").test["framework"]
'pytest'
>>> mgx.validate_output("FILE: ../x.py\nprint(1)\n").errors[0]["code"]
'invalid_path'
"""

from mgx._mgx import (
    CONFIDENT,
    DuplicateStackError,
    EmptyTaskError,
    Inference,
    InvalidJsonError,
    InvalidStackSpecError,
    InvalidUtf8Error,
    InvalidValueError,
    Manifest,
    MgxError,
    MgxIOError,
    MissingFieldError,
    MissingProjectPathError,
    ResolvedStack,
    StackError,
    StackParseError,
    StackRegistry,
    StackSpec,
    TaskError,
    TaskSpec,
    UnknownFieldError,
    UnknownStackError,
    ValidationResult,
    WrongTypeError,
    __version__,
    build_revision_prompt,
    get_stack,
    infer_stack,
    parse_manifest,
    stack_ids,
    stacks,
    validate_output,
)

__all__ = [
    "CONFIDENT",
    "DuplicateStackError",
    "EmptyTaskError",
    "Inference",
    "InvalidJsonError",
    "InvalidStackSpecError",
    "InvalidUtf8Error",
    "InvalidValueError",
    "Manifest",
    "MgxError",
    "MgxIOError",
    "MissingFieldError",
    "MissingProjectPathError",
    "ResolvedStack",
    "StackError",
    "StackParseError",
    "StackRegistry",
    "StackSpec",
    "TaskError",
    "TaskSpec",
    "UnknownFieldError",
    "UnknownStackError",
    "ValidationResult",
    "WrongTypeError",
    "__version__",
    "build_revision_prompt",
    "get_stack",
    "infer_stack",
    "parse_manifest",
    "stack_ids",
    "stacks",
    "validate_output",
]
