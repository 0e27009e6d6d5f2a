// Compiled with `tsc --noEmit` in CI: the generated declarations describe the API as users
// write against it (this file is never run).
import * as mgx from '../index'
import type { CompletesChat, MgxEvent, RunError, RunReport, TeamOptions } from '../index'

const mine: CompletesChat = {
  async complete(messages, params) {
    const last: string = messages[messages.length - 1].content
    return { content: `echo ${last} (${params.maxTokens ?? 0})`, usage: { prompt_tokens: 1, completion_tokens: 1 } }
  },
}

const options: TeamOptions = {
  provider: mine,
  roleProviders: { reviewer: new mgx.Offline(), engineer: new mgx.Scripted(['x'], 'm') },
  cache: new mgx.MemoryCache(100, 60),
  onEvent: (event: MgxEvent) => console.log(event.seq, event.event_type, event.message),
  stack: 'fastapi',
  constraints: ['no external services'],
  outputDir: 'out',
  budgetUsd: 1.5,
  prices: { 'gpt-4o-mini': { input_per_million: 0.15, output_per_million: 0.6 } },
  approval: async (shown) => (shown.kind === 'plan' ? true : { approve: false, reason: 'not now' }),
  approvalTimeout: 60,
  humanReviewer: (review) => review.code.length > 0,
  dryRun: true,
}

async function main(): Promise<void> {
  const team = new mgx.Team(options)
  const controller = new AbortController()
  try {
    const pool = new mgx.RunPool(2)
    const pooled: RunReport = await team.run('Create a FastAPI /health endpoint', { pool })
    console.log(pooled.status, pool.threads, pool.inFlight)
    const report: RunReport = await team.run('Create a FastAPI /health endpoint', { signal: controller.signal })
    const files: string[] = report.files
    const cost: number | null = report.cost_usd
    console.log(files, cost, report.review?.verdict)
  } catch (e) {
    const failure = e as RunError
    console.log(failure.code, failure.report.status, failure.cause)
  }
  const run: mgx.Run = new mgx.Team({ approval: 'manual' }).start('Create a FastAPI /health endpoint')
  const plan = await run.plan()
  if (plan !== null) run.approve(`ok: ${plan.kind}`)
  else run.reject('no plan')
  for await (const event of run.events()) console.log((event as MgxEvent).event_type)
  const done: boolean = run.done
  console.log(done, (await run.report()).status)
  run.cancel()
  const openai = new mgx.OpenAICompatible({ baseUrl: 'http://127.0.0.1:4000', model: 'm', maxAttempts: 1 })
  const cassette = new mgx.Cassette('calls.jsonl', { mode: 'record', provider: openai })
  const answer = await cassette.complete([{ role: 'user', content: 'hi' }], { maxTokens: 5 })
  console.log(answer.content, answer.usage?.prompt_tokens, new mgx.RedisCache('redis://127.0.0.1/').stats().hits)
  for await (const piece of openai.stream([{ role: 'user', content: 'hi' }], { maxTokens: 5 })) {
    const delta: mgx.ChatDelta = piece
    console.log(delta.content, delta.finish_reason, delta.usage?.completion_tokens)
  }
  const resumed: RunReport = await team.resume('runs/run_1')
  console.log(resumed.status, mgx.stackIds().length, mgx.getStack('fastapi').test?.framework)
}

const licenceChecker: mgx.ReactsToMessages = {
  name: 'licence_checker',
  watches: ['code'],
  async react(message: mgx.Message, ctx: mgx.RoleContext): Promise<mgx.RoleMessage> {
    const answer: string = await ctx.ask(message.content, { action: 'licence_check', system: 'Be brief.' })
    const plan: mgx.Message | null = ctx.latest('plan')
    const kinds: string[] = ctx.history.map((m) => m.kind)
    return { kind: 'licence_report', content: answer, data: { plan: plan?.data, kinds, stack: ctx.stack, task: ctx.task } }
  },
}
const builtins: mgx.BuiltinRole[] = mgx.defaultRoles().filter((r) => r.name !== 'reviewer')
const customTeam = new mgx.Team({ roles: [...builtins, licenceChecker], dryRun: true })
void customTeam

void main()
