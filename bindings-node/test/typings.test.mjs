// The shipped index.d.ts declares exactly what the native module exports.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { readFileSync } from 'node:fs';

const require = createRequire(import.meta.url);
const mgx = require('../index.js');
const dts = readFileSync(new URL('../index.d.ts', import.meta.url), 'utf8');

test('every runtime export is declared and every declared value exists', () => {
  const declared = new Set(
    [...dts.matchAll(/^export declare (?:class|function|const) (\w+)/gm)].map((m) => m[1]),
  );
  // napi also exports a class under its Rust name when its JS name differs (OpenAiCompatible
  // for OpenAICompatible); the declarations name it as a type alias of the class.
  for (const [, alias, target] of dts.matchAll(/^export type (\w+) = (\w+)$/gm)) {
    if (declared.has(target)) declared.add(alias);
  }
  const exported = new Set(Object.keys(mgx));
  assert.deepEqual([...exported].sort(), [...declared].sort());
});

test('declared class members exist at runtime', () => {
  for (const [, name, body] of dts.matchAll(/^export declare class (\w+) \{([\s\S]*?)^\}/gm)) {
    const cls = mgx[name];
    const members = [...body.matchAll(/^\s+(?:static |get )?(\w+)\(/gm)].map((m) => m[1]).filter((m) => m !== 'constructor');
    for (const member of members) {
      const onStatic = typeof cls[member] === 'function';
      const onProto = member in cls.prototype;
      assert.ok(onStatic || onProto, `${name}.${member}`);
    }
  }
});
