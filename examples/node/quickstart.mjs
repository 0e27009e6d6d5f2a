// Run the team offline (no model, no key): plan, approve, write the starter project.
//
//   node examples/node/quickstart.mjs "Create a FastAPI /health endpoint with tests" out/
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
const mgx = require('mgx');

const task = process.argv[2] ?? 'Create a FastAPI /health endpoint with tests';
const outputDir = process.argv[3] ?? 'out';

// The offline provider is the default: a scaffold generator, not a model.
const team = new mgx.Team({
  outputDir,
  onEvent: (e) => console.log(`[${String(e.seq).padStart(2)}] ${e.event_type.padEnd(18)} ${e.message}`),
});
const report = await team.run(task);
console.log(`\n${report.status}: ${report.files.length} files in ${report.output_dir} (stack ${report.stack})`);
console.log(`providers: ${report.providers.join(', ')} (offline: a scaffold, not a model's work)`);
