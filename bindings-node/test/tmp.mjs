// Temporary directories for the tests, removed when the test file's process exits: test runs
// leave nothing behind in the system's temp directory. (`node --test test/` loads this file
// as a test file too; it has no tests.)
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const made = [];

process.on('exit', () => {
  for (const dir of made) rmSync(dir, { recursive: true, force: true });
});

/** A new directory `<temp>/<prefix>XXXXXX`, removed at exit. */
export function tempDir(prefix) {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  made.push(dir);
  return dir;
}
