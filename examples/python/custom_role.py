"""Roles of your own beside the default team: a licence checker that reads the engineer's code,
and a security reviewer that asks a model about it. A role is any object with a `name`, the
message kinds it `watches` and `react(message, ctx)` (sync or `async def`); what it returns is
published to the roles that watch its kind.

The security reviewer asks its own provider (`role_providers`): a model of yours when
OPENAI_API_KEY is set and the OpenAI SDK is installed, otherwise a scripted answer, so the
example always runs offline.

    python examples/python/custom_role.py
"""

import asyncio
import os

import mgx


class LicenceChecker:
    """Sync: reads the files of the code message, asks no model."""

    name = "licence_checker"
    watches = ["code"]

    def react(self, message, ctx):
        files = message["data"]["files"]
        missing = [f["path"] for f in files if "SPDX-License-Identifier" not in f["content"]]
        return {
            "kind": "licence_report",
            "content": f"{len(missing)} of {len(files)} files have no licence header",
            "data": {"missing": missing},
        }


class SecurityReviewer:
    """Async: asks the model through the run (budget, cache, events and cancellation apply)."""

    name = "security_reviewer"
    watches = ["code"]

    async def react(self, message, ctx):
        answer = await ctx.ask(
            f"The task was: {ctx.task}\nList any hard-coded secret in this code, or say none:\n\n"
            + message["content"],
            system="You are a security reviewer. Answer in one line.",
        )
        return {"kind": "security_report", "content": answer}


class Printer:
    """Shows what the other two published."""

    name = "printer"
    watches = ["licence_report", "security_report"]

    def react(self, message, ctx):
        print(f"{message['from']}: {message['content']}")


def reviewer_model():
    if os.environ.get("OPENAI_API_KEY"):
        try:
            import openai  # noqa: F401  (the SDK is there: use a real model)

            return mgx.OpenAICompatible(model=os.environ.get("MGX_MODEL", "gpt-4o-mini"))
        except ImportError:
            pass
    return mgx.Scripted(["none found"], model="scripted-reviewer")


async def main():
    team = mgx.Team(
        stack="fastapi",
        dry_run=True,
        roles=[*mgx.default_roles(), LicenceChecker(), SecurityReviewer(), Printer()],
        role_providers={"security_reviewer": reviewer_model()},
    )
    report = await team.run("Create a FastAPI /health endpoint with tests")
    report.raise_for_status()
    print(report.status, "-", report.llm_calls, "model calls:", ", ".join(report.providers))


if __name__ == "__main__":
    asyncio.run(main())
