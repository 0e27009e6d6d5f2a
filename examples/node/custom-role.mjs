// Roles of your own beside the default team: a licence checker that reads the engineer's code,
// and a security reviewer that asks a model about it. A role is any object with a `name`, the
// message kinds it `watches` and `react(message, ctx)` returning messages (or a Promise of
// them); what it returns is published to the roles that watch its kind.
//
// The security reviewer asks its own provider (`roleProviders`): a scripted answer here, so the
// example runs offline; pass `new mgx.OpenAICompatible({...})` for a model.
//
//   node examples/node/custom-role.mjs
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
const mgx = require('mgx');

/** Sync: reads the files of the code message, asks no model. */
const licenceChecker = {
  name: 'licence_checker',
  watches: ['code'],
  react(message) {
    const files = message.data.files;
    const missing = files.filter((f) => !f.content.includes('SPDX-License-Identifier')).map((f) => f.path);
    return {
      kind: 'licence_report',
      content: `${missing.length} of ${files.length} files have no licence header`,
      data: { missing },
    };
  },
};

/** Async: asks the model through the run (budget, cache, events and cancellation apply). */
const securityReviewer = {
  name: 'security_reviewer',
  watches: ['code'],
  async react(message, ctx) {
    const answer = await ctx.ask(
      `The task was: ${ctx.task}\nList any hard-coded secret in this code, or say none:\n\n${message.content}`,
      { system: 'You are a security reviewer. Answer in one line.' },
    );
    return { kind: 'security_report', content: answer };
  },
};

/** Shows what the other two published. */
const printer = {
  name: 'printer',
  watches: ['licence_report', 'security_report'],
  react(message) {
    console.log(`${message.from}: ${message.content}`);
  },
};

const team = new mgx.Team({
  stack: 'fastapi',
  dryRun: true,
  roles: [...mgx.defaultRoles(), licenceChecker, securityReviewer, printer],
  roleProviders: { security_reviewer: new mgx.Scripted(['none found'], 'scripted-reviewer') },
});
const report = await team.run('Create a FastAPI /health endpoint with tests');
console.log(report.status, '-', report.llm_calls, 'model calls:', report.providers.join(', '));
