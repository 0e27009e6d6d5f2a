"""Many concurrent team runs from Python: wall time, CPU and peak memory per batch.

    python bindings-python/benches/many_runs.py [offline|async] [SIZES] [--pool N] [--delay S]

``offline``: the offline provider (no model, no latency): what a run costs through the wheel.
``async``: an ``async def complete`` provider that answers after ``--delay`` seconds (0.05 by
default), as a wrapper around an async client would; five calls a run make the ideal run (and,
with enough concurrency, the ideal batch) five delays long. Before the batches, the same
number of plain asyncio tasks doing only the five sleeps gives the floor of this machine and
interpreter: what the batch would take if neither mgx nor the provider's own Python cost
anything.

SIZES is a comma-separated list of batch sizes (default ``1000,3000,10000``); ``--pool N``
runs them on a ``mgx.RunPool(N)``.
"""

import argparse
import asyncio
import resource
import time

import mgx

TASK = "Create a FastAPI /health endpoint with tests"
CODE = (
    "FILE: app/main.py\nfrom fastapi import FastAPI\n\napp = FastAPI()\n\n\n"
    '@app.get("/health")\ndef health() -> dict[str, str]:\n    return {"status": "ok"}\n'
    "FILE: requirements.txt\nfastapi\nuvicorn\npytest\n"
)
TESTS = (
    "FILE: tests/test_health.py\nfrom fastapi.testclient import TestClient\n\n"
    "from app.main import app\n\n\ndef test_health() -> None:\n"
    '    assert TestClient(app).get("/health").status_code == 200\n'
)
ANSWERS = {
    "analyze_task": '{"complexity": "S", "files": ["app/main.py"]}',
    "draft_plan": '{"steps": ["code", "tests", "review"]}',
    "write_code": CODE,
    "write_test": TESTS,
    "review_code": '{"verdict": "approved", "findings": []}',
}


class Delayed:
    """An async provider answering each action of the default team after `delay` seconds."""

    model = "delayed"

    def __init__(self, delay):
        self.delay = delay

    async def complete(self, messages, **params):
        action = messages[0]["content"].split("\n", 1)[0].removeprefix("mgx-action:").strip()
        await asyncio.sleep(self.delay)
        return ANSWERS[action]


def peak_rss_mb():
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


async def floor(n, delay):
    async def five_sleeps():
        for _ in range(5):
            await asyncio.sleep(delay)

    started = time.perf_counter()
    await asyncio.gather(*(five_sleeps() for _ in range(n)))
    return time.perf_counter() - started


async def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("provider", choices=["offline", "async"], nargs="?", default="async")
    parser.add_argument("sizes", nargs="?", default="1000,3000,10000")
    parser.add_argument("--pool", type=int, default=0)
    parser.add_argument("--delay", type=float, default=0.05)
    args = parser.parse_args()
    sizes = [int(s) for s in args.sizes.split(",")]
    provider = Delayed(args.delay) if args.provider == "async" else mgx.Offline()
    pool = mgx.RunPool(args.pool) if args.pool else None
    team = mgx.Team(provider=provider, stack="fastapi", dry_run=True, output_dir="/nonexistent/mgx-bench")
    ideal = 5 * args.delay
    for n in sizes:
        note = ""
        if args.provider == "async":
            f = await floor(n, args.delay)
            note = f", floor {f * 1e3:.0f} ms ({f / ideal:.2f}x)"
        started, cpu = time.perf_counter(), time.process_time()
        reports = await asyncio.gather(*(team.run(TASK, pool=pool) for _ in range(n)))
        wall, cpu = time.perf_counter() - started, time.process_time() - cpu
        completed = sum(r.ok for r in reports)
        if completed != n:
            failed = next(r for r in reports if not r.ok)
            raise SystemExit(f"{n - completed} of {n} runs did not complete, e.g. {failed.status}: {failed.error}")
        ratio = f" ({wall / ideal:.2f}x the ideal {ideal * 1e3:.0f} ms{note})" if args.provider == "async" else ""
        print(
            f"{args.provider} n={n} pool={args.pool or '-'}: {completed} completed in {wall * 1e3:.0f} ms{ratio}, "
            f"CPU {cpu * 1e3:.0f} ms ({cpu / n * 1e6:.0f} µs a run), peak RSS {peak_rss_mb():.0f} MB",
            flush=True,
        )


if __name__ == "__main__":
    asyncio.run(main())
