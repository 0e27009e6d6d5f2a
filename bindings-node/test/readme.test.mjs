// The README's Node snippet runs as written (with `require('mgx')` pointed at this package).
import { test } from 'node:test';
import { tempDir } from './tmp.mjs';
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

const require = createRequire(import.meta.url);

test('README js snippet runs', () => {
  const readme = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');
  const blocks = [...readme.matchAll(/```js\n([\s\S]*?)```/g)].map((m) => m[1]);
  assert.ok(blocks.length > 0);
  const logged = [];
  const localRequire = (name) => (name === 'mgx' ? require('../index.js') : require(name));
  for (const code of blocks) {
    new Function('require', 'console', code)(localRequire, { log: (...a) => logged.push(a.join(' ')) });
  }
  assert.deepEqual(logged, ['unknown_stack']);
});

test('README mjs snippet runs as a module', async () => {
  const readme = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');
  const blocks = [...readme.matchAll(/```mjs\n([\s\S]*?)```/g)].map((m) => m[1]);
  assert.ok(blocks.length > 0);
  const index = new URL('../index.js', import.meta.url).href;
  const dir = tempDir('mgx-readme-');
  for (const [i, code] of blocks.entries()) {
    const file = join(dir, `block${i}.mjs`);
    writeFileSync(file, code.replace("from 'mgx'", `from '${index}'`));
    const logged = [];
    const log = console.log;
    console.log = (...a) => logged.push(a.map((x) => (typeof x === 'string' ? x : JSON.stringify(x))).join(' '));
    try {
      await import(file);
    } finally {
      console.log = log;
    }
    assert.ok(logged.includes('completed ["app/__init__.py","app/config.py"]'), logged.join('\n'));
  }
});
