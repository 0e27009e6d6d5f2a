// The README's Node snippet runs as written (with `require('mgx')` pointed at this package).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { readFileSync } from 'node:fs';

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
