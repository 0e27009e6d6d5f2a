"""mgx: a runtime for AI software-engineering teams.

The Python package wraps the Rust core (the ``mgx._mgx`` extension): the same stacks, inference
and task contract as the Rust crates and the Node module.

>>> import mgx
>>> mgx.infer_stack("Build an Express API with JWT auth, not FastAPI").stack
'express-ts'
>>> mgx.get_stack("fastapi").test["framework"]
'pytest'
"""

from mgx._mgx import (
    CONFIDENT,
    DuplicateStackError,
    EmptyTaskError,
    Inference,
    InvalidJsonError,
    InvalidStackSpecError,
    InvalidValueError,
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
    WrongTypeError,
    __version__,
    get_stack,
    infer_stack,
    stack_ids,
    stacks,
)

__all__ = [
    "CONFIDENT",
    "DuplicateStackError",
    "EmptyTaskError",
    "Inference",
    "InvalidJsonError",
    "InvalidStackSpecError",
    "InvalidValueError",
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
    "WrongTypeError",
    "__version__",
    "get_stack",
    "infer_stack",
    "stack_ids",
    "stacks",
]
