// Plug in the model client you already use: any object with `complete(messages, params)`
// returning an answer or a Promise of one is a provider. This one calls an OpenAI-compatible
// server with fetch when MGX_BASE_URL and MGX_MODEL are set; otherwise it answers like the
// offline scaffold, so the example always runs.
//
//   node examples/node/own-provider.mjs
import { createRequire } from 'node:module';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const require = createRequire(import.meta.url);
const mgx = require('mgx');

const offline = new mgx.Offline();
const myModel = {
  model: 'my-model',
  async complete(messages, params) {
    const { MGX_BASE_URL: base, MGX_MODEL: model, MGX_API_KEY: key } = process.env;
    if (base && model) {
      const res = await fetch(`${base.replace(/\/$/, '')}/chat/completions`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...(key ? { authorization: `Bearer ${key}` } : {}) },
        body: JSON.stringify({ model, messages, max_tokens: params.maxTokens }),
      });
      if (!res.ok) throw new Error(`the server answered ${res.status}`);
      return res.json(); // a chat completion: choices[0].message.content and usage are read
    }
    const answer = await offline.complete(messages, params);
    return { content: answer.content, usage: { prompt_tokens: 0, completion_tokens: 0 } };
  },
};

const outputDir = mkdtempSync(join(tmpdir(), 'mgx-own-provider-'));
const report = await new mgx.Team({ provider: myModel, stack: 'fastapi', outputDir }).run(
  'Create a FastAPI /health endpoint with tests',
);
console.log(report.status, report.files);
console.log('provider:', report.providers, 'tokens:', report.tokens_in, report.tokens_out);
