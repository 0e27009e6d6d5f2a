"""Plug in the model client you already use: any object with `complete(messages, **params)`,
sync or `async def`, is a provider. This one wraps the OpenAI SDK when it is installed and
a key is set; otherwise it answers like the offline scaffold, so the example always runs.

    python examples/python/own_provider.py
"""

import asyncio
import os
import tempfile

import mgx


class MyModel:
    """Answers with a str (or a dict with `content` and `usage`, or an SDK completion)."""

    model = "my-model"

    def __init__(self):
        self.client = None
        if os.environ.get("OPENAI_API_KEY"):
            try:
                from openai import AsyncOpenAI  # the client users already have

                self.client = AsyncOpenAI()
            except ImportError:
                pass
        self.fallback = mgx.Offline()

    async def complete(self, messages, **params):
        if self.client is not None:
            return await self.client.chat.completions.create(
                model=os.environ.get("MGX_MODEL", "gpt-4o-mini"),
                messages=messages,
                max_tokens=params.get("max_tokens"),
            )
        answer = await self.fallback.complete(messages, **params)
        return {"content": answer["content"], "usage": {"prompt_tokens": 0, "completion_tokens": 0}}


async def main():
    out = tempfile.mkdtemp(prefix="mgx-own-provider-")
    team = mgx.Team(provider=MyModel(), stack="fastapi", output_dir=out)
    report = await team.run("Create a FastAPI /health endpoint with tests")
    report.raise_for_status()
    print(report)
    print("files:", report.files)
    print("provider:", report.providers, "tokens:", report.tokens_in, report.tokens_out)


asyncio.run(main())
