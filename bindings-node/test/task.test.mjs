// The JSON task contract from Node, and its typed errors.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
const mgx = require('../index.js');

test('the full contract parses', () => {
  const t = mgx.TaskSpec.fromJson(
    JSON.stringify({
      task: 'Create a REST API for user management',
      target_stack: 'fastapi',
      project_type: 'api',
      output_mode: 'patch_existing',
      strict_requirements: true,
      constraints: ['Use Pydantic models'],
      existing_project_path: './my-project',
    }),
  );
  assert.equal(t.task, 'Create a REST API for user management');
  assert.equal(t.targetStack, 'fastapi');
  assert.equal(t.projectType, 'api');
  assert.equal(t.outputMode, 'patch_existing');
  assert.equal(t.strictRequirements, true);
  assert.deepEqual(t.constraints, ['Use Pydantic models']);
  assert.equal(t.existingProjectPath, './my-project');
  const again = mgx.TaskSpec.fromJson(JSON.stringify(t));
  assert.deepEqual(again.toJSON(), t.toJSON());
  const resolved = t.resolveStack();
  assert.equal(resolved.source, 'explicit');
  assert.equal(resolved.confidence, 1);
  assert.equal(resolved.stack.id, 'fastapi');
});

test('plain text is the minimal form and the stack is inferred', () => {
  const t = mgx.TaskSpec.fromText('  Create a FastAPI /health endpoint with tests ');
  assert.equal(t.task, 'Create a FastAPI /health endpoint with tests');
  assert.equal(t.targetStack ?? null, null);
  assert.equal(t.outputMode, 'generate_new');
  assert.deepEqual(mgx.TaskSpec.parse('{"task": "Create a FastAPI /health endpoint with tests"}').toJSON(), t.toJSON());
  const resolved = t.resolveStack();
  assert.equal(resolved.source, 'inferred');
  assert.equal(resolved.stack.id, 'fastapi');
  assert.equal(resolved.inference.stack, 'fastapi');
});

const bad = [
  ['{"task": "  "}', 'empty_task', /must not be empty/],
  ['{}', 'missing_field', /`task`/],
  ['{"task": "x", "stack": "fastapi"}', 'unknown_field', /`stack`.*`target_stack`/],
  ['{"task": "x", "project_type": "cli"}', 'invalid_value', /`api`, `webapp`, `fullstack`, `devops`/],
  ['{"task": "x", "output_mode": "overwrite"}', 'invalid_value', /`generate_new`, `patch_existing`/],
  ['{"task": "x", "output_mode": "patch_existing"}', 'missing_project_path', /existing_project_path/],
  ['{"task": 1}', 'wrong_type', /must be a string, found a number/],
  ['{"task": "x", "constraints": ["a", 2]}', 'wrong_type', /constraints\[1\]/],
  ['{"task": "x",', 'invalid_json', /line 1/],
  ['{"task": "x", "target_stack": "fastapy"}', 'unknown_stack', /did you mean `fastapi`/],
];

for (const [payload, code, message] of bad) {
  test(`bad input ${payload} throws code ${code}`, () => {
    assert.throws(() => mgx.TaskSpec.fromJson(payload), (err) => {
      assert.ok(err instanceof Error);
      assert.equal(err.code, code);
      assert.match(err.message, message);
      return true;
    });
  });
}

test('target stacks are checked against a custom registry', () => {
  const reg = new mgx.StackRegistry();
  reg.registerJson('{"id": "phoenix", "name": "Phoenix", "category": "backend", "language": "elixir", "file_extensions": [".ex"]}');
  const payload = '{"task": "x", "target_stack": "phoenix"}';
  assert.throws(() => mgx.TaskSpec.fromJson(payload), { code: 'unknown_stack' });
  const t = mgx.TaskSpec.fromJson(payload, reg);
  assert.equal(t.resolveStack(reg).stack.id, 'phoenix');
});
