/**
 * The platform benchmark (`make bench`): the real services as processes on the suite's FerretDB and NATS
 * (started as the tests start them), measured side by side with the ceilings of the same run:
 *
 * - ceilings: a bare grpc-js unary echo (its own process, 16 and 64 calls in flight) and JetStream
 *   acknowledged publishes (64 in flight, 800-byte messages);
 * - CreateHelpRequest throughput at 16 and 64 in flight, against the echo at the same concurrency;
 *   ClaimTask + RecordOutcome throughput (16 in flight); errors by status;
 * - latency at half of CreateHelpRequest's peak rate: intake → the verification task listed (ListTasks shows
 *   it) and verified → matching's proposal (stock is loaded first);
 * - flatness: p50 of CreateHelpRequest, GetHelpRequest and ListTasks with N1 and N2 requests stored, the
 *   stored ones finished (their call-backs recorded), so only history grows between the two;
 * - a surge: ten times a steady rate for 20 s, then the time until every durable consumer's backlog is
 *   empty, and requests lost (accepted without a verification task).
 *
 * Prints a Markdown table with each target met or missed (and by how much), writes
 * bench/results/platform.json. Exits non-zero only when a request was lost or the run failed.
 *
 *   node bench/dist/platform.js [--full] [--n1 N] [--n2 N] [--duration S] ...   (--help lists them)
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { parseArgs } from 'node:util';
import { credentials, status as GrpcStatus, makeGenericClientConstructor } from '@grpc/grpc-js';
import { jetstream } from '@nats-io/jetstream';
import { TaskStatus } from '@nuanyang/proto/nuanyang/verification/v1/verification';
import { Presets, SingleBar } from 'cli-progress';
import { ECHO_SERVICE } from './echo-server';
import { closedLoop, errorCount, type LoadResult, openLoop, round2, type Summary, summarise } from './load';
import {
  backlog,
  loadStock,
  onceOpened,
  type Platform,
  RequestFactory,
  retrying,
  SERVICES,
  startPlatform,
  statusName,
  TOKENS,
  taskIdOf,
} from './platform-stack';

// ---------------------------------------------------------------------------------------------- options

const USAGE = `usage: node bench/dist/platform.js [options]

  --full                 the issue's sizes: flatness at 1,000 and 100,000 requests stored
  --n1 N, --n2 N         flatness sizes (default 100 and 200: what the current store fills in a minute)
  --duration S           measured seconds of each throughput step (default 10)
  --warmup S             unmeasured seconds before each throughput step (default 2)
  --latency-duration S   seconds of the half-peak latency step (default 15)
  --surge-duration S     seconds of the surge (default 20)
  --steady-rate R        requests/s the surge is ten times of (default: a tenth of CreateHelpRequest's peak)
  --samples N            calls per operation for each flatness p50 (default 20, one in flight)
  --sample-seconds S     at most this long per operation and size, at least 3 calls (default 10)
  --fill-timeout S       about the longest filling the store to each size (default 60; --full: 7200)
  --drain-timeout S      at most this long waiting for consumers to drain between steps (default 30)
  --surge-drain-timeout S  at most this long waiting for the surge's backlog to drain (default 120)
  --out FILE             results (default bench/results/platform.json)
  -h, --help`;

interface Options {
  full: boolean;
  n1: number;
  n2: number;
  durationMs: number;
  warmupMs: number;
  latencyMs: number;
  surgeMs: number;
  steadyRate: number | undefined;
  samples: number;
  sampleMs: number;
  fillMs: number;
  drainMs: number;
  surgeDrainMs: number;
  out: string;
}

/** Bad command-line input: printed as its message and the usage, without a stack. */
class UsageError extends Error {}

function parseOptions(argv: string[]): Options {
  const spec = {
    args: argv,
    options: {
      full: { type: 'boolean', default: false },
      n1: { type: 'string' },
      n2: { type: 'string' },
      duration: { type: 'string', default: '10' },
      warmup: { type: 'string', default: '2' },
      'latency-duration': { type: 'string', default: '15' },
      'surge-duration': { type: 'string', default: '20' },
      'steady-rate': { type: 'string' },
      samples: { type: 'string', default: '20' },
      'sample-seconds': { type: 'string', default: '10' },
      'fill-timeout': { type: 'string' },
      'drain-timeout': { type: 'string', default: '30' },
      'surge-drain-timeout': { type: 'string', default: '120' },
      out: { type: 'string', default: join(__dirname, '..', 'results', 'platform.json') },
      help: { type: 'boolean', short: 'h', default: false },
    },
    strict: true,
  } as const;
  let values: ReturnType<typeof parseArgs<typeof spec>>['values'];
  try {
    values = parseArgs(spec).values;
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
  if (values.help) {
    console.log(USAGE);
    process.exit(0);
  }
  const number = (name: string, raw: string | undefined, min: number, max: number): number => {
    const n = Number(raw);
    if (raw === undefined || raw.trim() === '' || !Number.isFinite(n) || n < min || n > max) {
      throw new UsageError(`--${name} must be a number from ${min} to ${max}, got ${JSON.stringify(raw)}`);
    }
    return n;
  };
  const whole = (name: string, raw: string | undefined, min: number, max: number) => {
    const n = number(name, raw, min, max);
    if (!Number.isInteger(n)) throw new UsageError(`--${name} must be a whole number, got ${raw}`);
    return n;
  };
  const full = values.full ?? false;
  const n1 = whole('n1', values.n1 ?? (full ? '1000' : '100'), 10, 10_000_000);
  const n2 = whole('n2', values.n2 ?? (full ? '100000' : '200'), n1 + 1, 10_000_000);
  return {
    full,
    n1,
    n2,
    durationMs: number('duration', values.duration, 1, 3600) * 1000,
    warmupMs: number('warmup', values.warmup, 0, 600) * 1000,
    latencyMs: number('latency-duration', values['latency-duration'], 1, 3600) * 1000,
    surgeMs: number('surge-duration', values['surge-duration'], 1, 3600) * 1000,
    steadyRate:
      values['steady-rate'] === undefined
        ? undefined
        : number('steady-rate', values['steady-rate'], 0.01, 1e6),
    samples: whole('samples', values.samples, 3, 100_000),
    sampleMs: number('sample-seconds', values['sample-seconds'], 1, 3600) * 1000,
    fillMs: number('fill-timeout', values['fill-timeout'] ?? (full ? '7200' : '60'), 1, 86_400) * 1000,
    drainMs: number('drain-timeout', values['drain-timeout'], 1, 3600) * 1000,
    surgeDrainMs: number('surge-drain-timeout', values['surge-drain-timeout'], 1, 3600) * 1000,
    out: values.out as string,
  };
}

// --------------------------------------------------------------------------------------------- progress

const STEPS = [
  'servers and services',
  'ceiling: gRPC echo',
  'ceiling: JetStream publish',
  'stock',
  'standing queue',
  'fill to N1',
  'flatness at N1',
  'fill to N2',
  'flatness at N2',
  'CreateHelpRequest ×16',
  'CreateHelpRequest ×64',
  'ClaimTask + RecordOutcome',
  'latency at half peak',
  'surge',
] as const;

/** A bar on a terminal; a line per step otherwise (CI logs, a pipe). */
class Progress {
  private readonly bar = process.stderr.isTTY
    ? new SingleBar(
        {
          format: 'bench [{bar}] {value}/{total} | {duration_formatted} | {step}: {detail}',
          hideCursor: true,
          stream: process.stderr,
        },
        Presets.shades_classic,
      )
    : undefined;
  private readonly started = Date.now();
  private current = '';

  constructor() {
    this.bar?.start(STEPS.length, 0, { step: 'starting', detail: '' });
  }

  step(name: (typeof STEPS)[number]): void {
    if (this.current) this.bar?.increment(1);
    this.current = name;
    this.bar?.update({ step: name, detail: '' });
    if (!this.bar) console.error(`bench: ${Math.round((Date.now() - this.started) / 1000)} s  ${name}`);
  }

  detail(text: string): void {
    this.bar?.update({ step: this.current, detail: text });
  }

  stop(): void {
    if (this.current) this.bar?.increment(1);
    this.bar?.stop();
  }
}

// ------------------------------------------------------------------------------------------------- steps

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Samples of the first message of each error kind, for the JSON (what went wrong, not just how often). */
const errorSamples: Record<string, string> = {};
function nameError(error: unknown): string {
  const name = statusName(error);
  errorSamples[name] ??= String((error as Error)?.message ?? error).slice(0, 300);
  return name;
}

const tick = (progress: Progress, what: string) => (ok: number, failed: number) =>
  progress.detail(`${what}: ${ok} ok${failed ? `, ${failed} failed` : ''}`);

/** The bare echo server as its own process; resolves with its address once it listens. */
async function startEchoServer(): Promise<{ address: string; child: ChildProcess }> {
  const child = spawn(process.execPath, [join(__dirname, 'echo-server.js')], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const lines = createInterface({ input: child.stdout as NodeJS.ReadableStream });
  const port = await new Promise<string>((resolve, reject) => {
    child.once('exit', (code) => reject(new Error(`echo-server exited (code ${code}) before listening`)));
    lines.on('line', (line) => {
      const m = /^listening (\d+)$/.exec(line);
      if (m) resolve(m[1] as string);
    });
  });
  return { address: `127.0.0.1:${port}`, child };
}

async function echoCeiling(
  options: Options,
  progress: Progress,
  payload: Buffer,
): Promise<Record<'16' | '64', LoadResult>> {
  const server = await startEchoServer();
  const Echo = makeGenericClientConstructor(ECHO_SERVICE, 'Echo');
  const client = new Echo(server.address, credentials.createInsecure()) as unknown as {
    echo(request: Buffer, callback: (error: Error | null, response: Buffer) => void): void;
    close(): void;
  };
  const echo = () =>
    new Promise<Buffer>((resolve, reject) =>
      client.echo(payload, (error, response) => (error ? reject(error) : resolve(response))),
    );
  try {
    const result: Partial<Record<'16' | '64', LoadResult>> = {};
    for (const concurrency of [16, 64] as const) {
      result[concurrency] = await closedLoop(
        {
          concurrency,
          warmupMs: options.warmupMs,
          durationMs: options.durationMs,
          nameError,
          onTick: tick(progress, `echo ×${concurrency}`),
        },
        echo,
      );
    }
    return result as Record<'16' | '64', LoadResult>;
  } finally {
    client.close();
    server.child.kill('SIGTERM');
  }
}

async function jetStreamCeiling(
  platform: Platform,
  options: Options,
  progress: Progress,
): Promise<LoadResult> {
  const stream = 'BENCH_CEILING';
  await platform.jsm.streams.add({ name: stream, subjects: ['bench.ceiling'] });
  const js = jetstream(platform.nc);
  const message = randomBytes(800);
  try {
    return await closedLoop(
      {
        concurrency: 64,
        warmupMs: options.warmupMs,
        durationMs: options.durationMs,
        nameError,
        onTick: tick(progress, 'publish ×64'),
      },
      () => js.publish('bench.ceiling', message),
    );
  } finally {
    await platform.jsm.streams.delete(stream);
  }
}

/** Waits until no durable consumer has anything pending or unacknowledged; the time it took, or null. */
async function settle(platform: Platform, options: Options, progress: Progress): Promise<number | null> {
  const start = performance.now();
  while (performance.now() - start < options.drainMs) {
    const { total } = await backlog(platform.jsm);
    if (total === 0) return Math.round(performance.now() - start);
    progress.detail(`waiting for consumers: ${total} messages behind`);
    await sleep(250);
  }
  return null;
}

/** Everything the run created, by what it is for. */
class Ledger {
  /** Finished requests (their call-back recorded): the history the flatness step grows. */
  readonly history: string[] = [];
  /** Requests whose tasks stay open through the flatness steps: the same live work at N1 and N2. */
  readonly queue: string[] = [];
  /** Requests of the throughput steps: the open tasks the outcome step works through. */
  readonly pool: string[] = [];
  stored = 0;
  fillErrors: Record<string, number> = {};

  countError(error: unknown): void {
    const name = nameError(error);
    this.fillErrors[name] = (this.fillErrors[name] ?? 0) + 1;
  }
}

/** Runs `fn` over items with `concurrency` in flight. */
async function each<T>(items: readonly T[], concurrency: number, fn: (item: T) => Promise<void>) {
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(concurrency, items.length) }, async () => {
      while (next < items.length) await fn(items[next++] as T);
    }),
  );
}

/** Creates `count` requests (16 in flight, retried), returns the ids of those accepted. */
async function createMany(
  platform: Platform,
  factory: RequestFactory,
  ledger: Ledger,
  count: number,
): Promise<string[]> {
  const ids: string[] = [];
  await each(
    Array.from({ length: count }, () => factory.next()),
    16,
    async ({ request, token }) => {
      try {
        const res = await retrying(() => platform.intake.createHelpRequest(request, { token }));
        ids.push(res.helpRequest?.id as string);
        ledger.stored += 1;
      } catch (error) {
        ledger.countError(error);
      }
    },
  );
  return ids;
}

/**
 * Records an outcome for the tasks of these requests (claim, then rejected: finished, and nothing for matching
 * to do), 16 in flight, waiting up to the drain timeout for a task verification has not opened yet.
 */
async function finish(platform: Platform, options: Options, ledger: Ledger, ids: string[]): Promise<void> {
  const deadline = Date.now() + options.drainMs;
  await each(ids, 16, async (helpRequestId) => {
    const taskId = taskIdOf(helpRequestId);
    const verifier = TOKENS.verifier(helpRequestId.length);
    try {
      await onceOpened(() => platform.verification.claimTask({ taskId }, { token: verifier }), deadline);
      await retrying(() =>
        platform.verification.recordOutcome(
          {
            taskId,
            idempotencyKey: `bench-history-${taskId}`,
            outcome: { $case: 'rejected', value: { reason: '基准测试：历史数据' } },
          },
          { token: verifier },
        ),
      );
      ledger.history.push(helpRequestId);
    } catch (error) {
      ledger.countError(error);
    }
  });
}

/**
 * Fills the store with finished requests until `target` are stored, in batches of about ten seconds' work
 * (10 to 1,000), stopping after the batch that passes the fill time.
 */
async function fillTo(
  platform: Platform,
  factory: RequestFactory,
  options: Options,
  progress: Progress,
  ledger: Ledger,
  target: number,
): Promise<{ reached: number; ms: number; timedOut: boolean }> {
  const start = Date.now();
  let batch = 20;
  while (ledger.stored < target && Date.now() - start < options.fillMs) {
    const size = Math.min(batch, target - ledger.stored);
    const batchStart = Date.now();
    progress.detail(`${ledger.stored} of ${target} stored, creating ${size}`);
    const ids = await createMany(platform, factory, ledger, size);
    progress.detail(`${ledger.stored} of ${target} stored, finishing ${ids.length}`);
    await finish(platform, options, ledger, ids);
    platform.checkAlive();
    const perSecond = (size * 1000) / Math.max(1, Date.now() - batchStart);
    batch = Math.max(10, Math.min(1000, Math.round(perSecond * 10)));
  }
  return { reached: ledger.stored, ms: Date.now() - start, timedOut: ledger.stored < target };
}

interface Flatness {
  stored: number;
  finished: number;
  openTasks: number;
  createHelpRequest: Summary;
  getHelpRequest: Summary;
  listTasks: Summary;
  errors: Record<string, number>;
}

/** One call at a time: `samples` calls, or fewer if the time is up (at least 3). */
async function sampled(
  options: Options,
  call: (i: number) => Promise<unknown>,
  errors: Record<string, number>,
) {
  const durations: number[] = [];
  const start = performance.now();
  for (let i = 0; i < options.samples; i++) {
    if (i >= 3 && performance.now() - start > options.sampleMs) break;
    const t = performance.now();
    try {
      await call(i);
      durations.push(performance.now() - t);
    } catch (error) {
      const name = nameError(error);
      errors[name] = (errors[name] ?? 0) + 1;
    }
  }
  return summarise(durations);
}

async function flatness(
  platform: Platform,
  factory: RequestFactory,
  options: Options,
  progress: Progress,
  ledger: Ledger,
): Promise<Flatness> {
  const stored = ledger.stored;
  const errors: Record<string, number> = {};
  const ids = [...ledger.queue, ...ledger.history];
  progress.detail('GetHelpRequest');
  const getHelpRequest = await sampled(
    options,
    (i) =>
      platform.intake.getHelpRequest(
        { id: ids[(i * 7919) % ids.length] as string },
        { token: TOKENS.operator },
      ),
    errors,
  );
  progress.detail('ListTasks');
  let openTasks = 0;
  const listTasks = await sampled(
    options,
    async () => {
      const res = await platform.verification.listTasks(
        { page: { pageSize: 0, pageToken: '' }, statuses: [], overdueOnly: false },
        { token: TOKENS.verifier(0) },
      );
      openTasks = res.tasks.length;
    },
    errors,
  );
  progress.detail('CreateHelpRequest');
  const created: string[] = [];
  const createHelpRequest = await sampled(
    options,
    async () => {
      const { request, token } = factory.next();
      const res = await platform.intake.createHelpRequest(request, { token });
      created.push(res.helpRequest?.id as string);
      ledger.stored += 1;
    },
    errors,
  );
  // The sampled requests join the history, so the live work stays the standing queue alone.
  progress.detail('finishing the sampled requests');
  await finish(platform, options, ledger, created);
  return {
    stored,
    finished: ledger.history.length,
    openTasks,
    createHelpRequest,
    getHelpRequest,
    listTasks,
    errors,
  };
}

async function createThroughput(
  platform: Platform,
  factory: RequestFactory,
  options: Options,
  progress: Progress,
  ledger: Ledger,
  concurrency: number,
): Promise<LoadResult> {
  return closedLoop(
    {
      concurrency,
      warmupMs: options.warmupMs,
      durationMs: options.durationMs,
      nameError,
      onTick: tick(progress, `CreateHelpRequest ×${concurrency}`),
    },
    async () => {
      const { request, token } = factory.next();
      const res = await platform.intake.createHelpRequest(request, { token });
      ledger.pool.push(res.helpRequest?.id as string);
      ledger.stored += 1;
    },
  );
}

/**
 * Verifiers work through the tasks of the throughput steps' requests, 16 at once: claim, then record the
 * outcome (nine in ten verified, so matching proposes for them; one in ten rejected). One outcome = both
 * calls; a failed claim fails the outcome.
 */
async function outcomeThroughput(
  platform: Platform,
  options: Options,
  progress: Progress,
  ledger: Ledger,
): Promise<LoadResult & { tasksAvailable: number; verified: number }> {
  const tasks = ledger.pool.map(taskIdOf);
  let verified = 0;
  const result = await closedLoop(
    {
      concurrency: 16,
      warmupMs: Math.min(options.warmupMs, 1000),
      durationMs: options.durationMs,
      nameError,
      onTick: tick(progress, `outcomes (of ${tasks.length} tasks)`),
    },
    (i) => {
      const taskId = tasks[i];
      if (!taskId) return undefined;
      const verifier = TOKENS.verifier(i);
      return (async () => {
        await platform.verification.claimTask({ taskId }, { token: verifier });
        const isVerified = i % 10 !== 0;
        await platform.verification.recordOutcome(
          {
            taskId,
            idempotencyKey: `bench-outcome-${taskId}`,
            outcome: isVerified
              ? { $case: 'verified', value: { correctedNeeds: [], note: '电话核实属实' } }
              : { $case: 'rejected', value: { reason: '非困难家庭，已有物资' } },
          },
          { token: verifier },
        );
        if (isVerified) verified += 1;
      })();
    },
  );
  return { ...result, tasksAvailable: tasks.length, verified };
}

interface Probe {
  sentAt: number;
  listedAt?: number;
  verifiedAt?: number;
  proposedAt?: number;
}

/**
 * At `rate` requests/s (open loop) for the step's duration: CRITICAL requests whose needs have stock. One
 * poller pages ListTasks (open tasks, CRITICAL first by due time) as a verifier's screen would, back to back;
 * a probe's task counts as listed when a page that shows it arrives. Then it is claimed and verified, and
 * four pollers ask ListProposals for the verified probes' requests in turn until each shows a proposal.
 * intake → listed: from sending CreateHelpRequest; verified → proposal: from RecordOutcome's answer to the
 * ListProposals answer that shows one. Both read through the API, as a verifier's and a supplier's screens do.
 */
async function latency(
  platform: Platform,
  factory: RequestFactory,
  options: Options,
  progress: Progress,
  rate: number,
) {
  const probes = new Map<string, Probe>();
  /** Verified probes without a proposal yet, by help request id, polled round-robin (oldest first). */
  const unproposed = new Map<string, Probe>();
  const errors: Record<string, number> = {};
  const fail = (error: unknown) => {
    const name = nameError(error);
    errors[name] = (errors[name] ?? 0) + 1;
  };
  const verifying = new Set<Promise<void>>();
  let sending = true;
  let listCalls = 0;
  const verify = (taskId: string, helpRequestId: string, probe: Probe, n: number) => {
    const verifier = TOKENS.verifier(n);
    const p: Promise<void> = (async () => {
      await platform.verification.claimTask({ taskId }, { token: verifier });
      await platform.verification.recordOutcome(
        {
          taskId,
          idempotencyKey: `bench-probe-${taskId}`,
          outcome: { $case: 'verified', value: { correctedNeeds: [], note: '' } },
        },
        { token: verifier },
      );
      probe.verifiedAt = performance.now();
      unproposed.set(helpRequestId, probe);
    })()
      .catch(fail)
      .finally(() => verifying.delete(p));
    verifying.add(p);
  };
  /** While the ListTasks poller runs, verified probes may still come. */
  let listing = true;
  const waitingToBeListed = () => [...probes.values()].some((p) => p.listedAt === undefined);
  const listed = (async () => {
    let deadline = Number.POSITIVE_INFINITY;
    while (sending || (waitingToBeListed() && performance.now() < deadline)) {
      if (!sending && deadline === Number.POSITIVE_INFINITY) deadline = performance.now() + options.drainMs;
      let pageToken = '';
      try {
        do {
          const res = await platform.verification.listTasks(
            {
              page: { pageSize: 200, pageToken },
              statuses: [TaskStatus.TASK_STATUS_OPEN],
              overdueOnly: false,
            },
            { token: TOKENS.verifier(0) },
          );
          listCalls += 1;
          const at = performance.now();
          for (const t of res.tasks) {
            const probe = probes.get(t.helpRequestId);
            if (!probe || probe.listedAt !== undefined) continue;
            probe.listedAt = at;
            verify(t.id, t.helpRequestId, probe, listCalls);
          }
          // Probes are due first; a page that ends with another kind of task has shown them all.
          const last = res.tasks[res.tasks.length - 1];
          pageToken = last && probes.has(last.helpRequestId) ? (res.page?.nextPageToken ?? '') : '';
        } while (pageToken);
      } catch (error) {
        fail(error);
        await sleep(100);
      }
    }
  })();
  let proposalsDeadline = Number.POSITIVE_INFINITY;
  let proposalCalls = 0;
  const proposalPollers = Array.from({ length: 4 }, async () => {
    while ((listing || verifying.size > 0 || unproposed.size > 0) && performance.now() < proposalsDeadline) {
      const next = unproposed.entries().next();
      if (next.done) {
        await sleep(10);
        continue;
      }
      const [helpRequestId, probe] = next.value;
      // To the back of the line while this poll is out, so the other pollers ask for other requests.
      unproposed.delete(helpRequestId);
      try {
        const res = await platform.matching.listProposals(
          { page: { pageSize: 1, pageToken: '' }, statuses: [], supplierOrganisationId: '', helpRequestId },
          { token: TOKENS.operator },
        );
        proposalCalls += 1;
        if (res.proposals.length > 0) probe.proposedAt = performance.now();
        else unproposed.set(helpRequestId, probe);
      } catch (error) {
        fail(error);
        unproposed.set(helpRequestId, probe);
        await sleep(100);
      }
    }
  });
  const sent = await openLoop(
    {
      ratePerSecond: rate,
      maxInFlight: 256,
      warmupMs: 0,
      durationMs: options.latencyMs,
      nameError,
      onTick: (ok, failed) =>
        progress.detail(
          `${rate.toFixed(1)}/s: ${ok} sent${failed ? `, ${failed} failed` : ''}, ` +
            `${[...probes.values()].filter((p) => p.listedAt !== undefined).length} listed, ` +
            `${[...probes.values()].filter((p) => p.proposedAt !== undefined).length} proposed`,
        ),
    },
    async () => {
      const { request, token } = factory.next('probe');
      const sentAt = performance.now();
      const res = await platform.intake.createHelpRequest(request, { token });
      probes.set(res.helpRequest?.id as string, { sentAt });
    },
  );
  sending = false;
  progress.detail('waiting for the last probes');
  await listed;
  listing = false;
  await Promise.all(verifying);
  proposalsDeadline = performance.now() + options.drainMs;
  await Promise.all(proposalPollers);
  const all = [...probes.values()];
  return {
    ratePerSecond: round2(rate),
    created: sent,
    intakeToTaskListedMs: summarise(
      all.flatMap((p) => (p.listedAt === undefined ? [] : [p.listedAt - p.sentAt])),
    ),
    verifiedToProposalMs: summarise(
      all.flatMap((p) =>
        p.verifiedAt === undefined || p.proposedAt === undefined
          ? []
          : [Math.max(0, p.proposedAt - p.verifiedAt)],
      ),
    ),
    notListed: all.filter((p) => p.listedAt === undefined).length,
    notVerified: all.filter((p) => p.listedAt !== undefined && p.verifiedAt === undefined).length,
    notProposed: all.filter((p) => p.verifiedAt !== undefined && p.proposedAt === undefined).length,
    listTasksCalls: listCalls,
    listProposalsCalls: proposalCalls,
    errors,
  };
}

/**
 * Ten times the steady rate for the surge's duration (open loop, up to 1,024 in flight), then the time from
 * the end of sending until every durable consumer's backlog is empty; lost = requests intake accepted
 * for which GetTask finds no verification task once drained.
 */
async function surge(
  platform: Platform,
  factory: RequestFactory,
  options: Options,
  progress: Progress,
  steadyRate: number,
) {
  const rate = steadyRate * 10;
  const accepted: string[] = [];
  let maxBacklog = 0;
  let monitoring = true;
  const monitor = (async () => {
    while (monitoring) {
      const { total } = await backlog(platform.jsm).catch(() => ({ total: 0 }));
      maxBacklog = Math.max(maxBacklog, total);
      await sleep(500);
    }
  })();
  const start = performance.now();
  const sent = await openLoop(
    {
      ratePerSecond: rate,
      maxInFlight: 1024,
      warmupMs: 0,
      durationMs: options.surgeMs,
      nameError,
      onTick: (ok, failed) =>
        progress.detail(
          `${rate.toFixed(1)}/s: ${ok} accepted${failed ? `, ${failed} failed` : ''}, backlog up to ${maxBacklog}`,
        ),
    },
    async () => {
      const { request, token } = factory.next();
      const res = await platform.intake.createHelpRequest(request, { token });
      accepted.push(res.helpRequest?.id as string);
    },
  );
  // From the end of the surge's window (the last calls may have been answered before it).
  const sendingEnded = start + options.surgeMs;
  let drainedMs: number | null = null;
  let left: Record<string, number> = {};
  while (performance.now() - sendingEnded < options.surgeDrainMs) {
    const b = await backlog(platform.jsm);
    maxBacklog = Math.max(maxBacklog, b.total);
    left = b.by;
    if (b.total === 0) {
      drainedMs = Math.max(0, Math.round(performance.now() - sendingEnded));
      break;
    }
    progress.detail(`draining: ${b.total} messages behind`);
    await sleep(100);
  }
  monitoring = false;
  await monitor;
  progress.detail('checking every accepted request has its task');
  let missing = 0;
  await each(accepted, 64, async (helpRequestId) => {
    const found = await retrying(() =>
      platform.verification.getTask({ id: taskIdOf(helpRequestId) }, { token: TOKENS.operator }),
    ).then(
      () => true,
      (error: unknown) => {
        if ((error as { code?: number }).code === GrpcStatus.NOT_FOUND) return false;
        throw error;
      },
    );
    if (!found) missing += 1;
  });
  return {
    steadyRatePerSecond: round2(steadyRate),
    ratePerSecond: round2(rate),
    created: sent,
    accepted: accepted.length,
    maxBacklog,
    drainedMs,
    backlogLeft: drainedMs === null ? left : {},
    withoutTask: missing,
    // Without a drained backlog a missing task may still come: then lost is unknown, unless none is missing.
    lost: missing === 0 ? 0 : drainedMs === null ? null : missing,
  };
}

// ---------------------------------------------------------------------------------------------- report

interface Target {
  name: string;
  goal: string;
  met: boolean;
  /** What was measured, and by how much it missed. */
  detail: string;
}

const fmt = (x: number | null | undefined, unit = '') =>
  x === null || x === undefined
    ? '—'
    : `${x >= 100 ? Math.round(x).toLocaleString('en-US') : x >= 10 ? x.toFixed(1) : x.toFixed(2)}${unit}`;
const pct = (x: number | null) => (x === null ? '—' : `${(100 * x).toFixed(x < 0.01 ? 2 : 1)} %`);
const ratio = (a: number | null | undefined, b: number | null | undefined) =>
  a === null || a === undefined || !b ? null : a / b;
const errorsText = (e: Record<string, number>) =>
  errorCount(e) === 0
    ? '0'
    : Object.entries(e)
        .map(([k, n]) => `${n} ${k}`)
        .join(', ');

async function main(): Promise<void> {
  const options = parseOptions(process.argv.slice(2));
  const runId = `${Date.now().toString(36)}${randomBytes(2).toString('hex')}`;
  const progress = new Progress();
  const factory = new RequestFactory(runId);
  const ledger = new Ledger();
  const settles: Record<string, number | null> = {};
  const startedAt = new Date();
  const t0 = Date.now();
  // Other work on the machine skews every figure: the load average before and after says how much there was.
  const loadBefore = loadavg()[0] as number;

  progress.step('servers and services');
  const platform = await startPlatform();
  let json: Record<string, unknown>;
  let lines: string[];
  let lost: number | null;
  try {
    progress.step('ceiling: gRPC echo');
    const echo = await echoCeiling(options, progress, Buffer.from(factory.encodedSample()));
    progress.step('ceiling: JetStream publish');
    const jetStream = await jetStreamCeiling(platform, options, progress);

    progress.step('stock');
    const lots = await loadStock(platform, factory, runId);

    progress.step('standing queue');
    ledger.queue.push(
      ...(await createMany(platform, factory, ledger, Math.min(50, Math.floor(options.n1 / 2)))),
    );
    settles.queue = await settle(platform, options, progress);

    progress.step('fill to N1');
    const fill1 = await fillTo(platform, factory, options, progress, ledger, options.n1);
    settles.fillN1 = await settle(platform, options, progress);
    progress.step('flatness at N1');
    const flat1 = await flatness(platform, factory, options, progress, ledger);
    progress.step('fill to N2');
    const fill2 = await fillTo(platform, factory, options, progress, ledger, options.n2);
    settles.fillN2 = await settle(platform, options, progress);
    progress.step('flatness at N2');
    const flat2 = await flatness(platform, factory, options, progress, ledger);
    settles.flatness = await settle(platform, options, progress);
    platform.checkAlive();

    progress.step('CreateHelpRequest ×16');
    const create16 = await createThroughput(platform, factory, options, progress, ledger, 16);
    settles.create16 = await settle(platform, options, progress);
    progress.step('CreateHelpRequest ×64');
    const create64 = await createThroughput(platform, factory, options, progress, ledger, 64);
    settles.create64 = await settle(platform, options, progress);
    platform.checkAlive();

    progress.step('ClaimTask + RecordOutcome');
    const outcomes = await outcomeThroughput(platform, options, progress, ledger);
    settles.outcomes = await settle(platform, options, progress);
    platform.checkAlive();

    const peak = Math.max(create16.perSecond, create64.perSecond);
    progress.step('latency at half peak');
    const lat = peak > 0 ? await latency(platform, factory, options, progress, peak / 2) : null;
    settles.latency = await settle(platform, options, progress);
    platform.checkAlive();

    progress.step('surge');
    const steady = options.steadyRate ?? peak / 10;
    const surged = steady > 0 ? await surge(platform, factory, options, progress, steady) : null;
    platform.checkAlive();
    progress.stop();
    lost = surged?.lost ?? null;

    // ----- targets
    const echoPeak = Math.max(echo['16'].perSecond, echo['64'].perSecond);
    const createErrors = errorCount(create16.errors) + errorCount(create64.errors);
    const createRatio = ratio(peak, echoPeak);
    const p99 = lat?.intakeToTaskListedMs.p99 ?? null;
    const flat = (op: 'createHelpRequest' | 'getHelpRequest' | 'listTasks') =>
      ratio(flat2[op].p50, flat1[op].p50);
    const targets: Target[] = [
      {
        name: 'CreateHelpRequest vs echo ceiling',
        goal: '≥ 30 % of the echo ceiling, 0 errors',
        met: (createRatio ?? 0) >= 0.3 && createErrors === 0,
        detail:
          `${pct(createRatio)} (${fmt(peak)}/s of ${fmt(echoPeak)}/s), ${createErrors} errors` +
          ((createRatio ?? 0) < 0.3 ? `; ${fmt(0.3 / Math.max(createRatio ?? 0, 1e-9))}× short` : ''),
      },
      {
        name: 'verification outcomes',
        goal: '≥ 300 outcomes/s',
        met: outcomes.perSecond >= 300,
        detail:
          `${fmt(outcomes.perSecond)}/s` +
          (outcomes.perSecond < 300 ? `; ${fmt(300 / Math.max(outcomes.perSecond, 1e-9))}× short` : '') +
          (outcomes.ok >= outcomes.tasksAvailable ? ' (ran out of open tasks before the window ended)' : ''),
      },
      {
        name: 'intake → task listed at half peak',
        goal: 'p99 < 250 ms',
        met: p99 !== null && p99 < 250 && (lat?.notListed ?? 1) === 0,
        detail:
          p99 === null
            ? lat
              ? `none of ${lat.created.ok} requests listed (ListTasks: ${errorsText(lat.errors)})`
              : 'not measured'
            : `p99 ${fmt(p99, ' ms')}` +
              (p99 >= 250 ? `; ${fmt(p99 / 250)}× over` : '') +
              (lat?.notListed ? `; ${lat.notListed} never listed` : ''),
      },
      ...(['createHelpRequest', 'getHelpRequest', 'listTasks'] as const).map((op) => {
        const r = flat(op);
        return {
          name: `${op} p50 at N2 vs N1`,
          goal: '≤ 1.5×',
          met: r !== null && r <= 1.5,
          detail:
            r === null
              ? 'not measured'
              : `${fmt(r)}× (${fmt(flat1[op].p50, ' ms')} → ${fmt(flat2[op].p50, ' ms')})` +
                (r > 1.5 ? `; ${fmt(r / 1.5)}× beyond` : ''),
        };
      }),
      {
        name: 'surge drained, nothing lost',
        goal: 'drained, lost 0',
        met: surged !== null && surged.drainedMs !== null && surged.lost === 0,
        detail:
          surged === null
            ? 'not run'
            : `${surged.drainedMs === null ? `not drained within ${fmt(options.surgeDrainMs / 1000, ' s')}` : `drained in ${fmt(surged.drainedMs / 1000, ' s')}`}, ` +
              `lost ${surged.lost ?? `unknown (${surged.withoutTask} without a task yet)`}`,
      },
    ];

    // ----- table
    const tp = (r: LoadResult) =>
      `${fmt(r.perSecond)}/s (p50 ${fmt(r.latencyMs.p50, ' ms')}, p99 ${fmt(r.latencyMs.p99, ' ms')})`;
    const sizeNote = (f: { reached: number; timedOut: boolean }, n: number) =>
      f.timedOut
        ? ` (fill stopped at ${f.reached.toLocaleString('en-US')} of ${n.toLocaleString('en-US')})`
        : '';
    lines = [
      `Platform benchmark, ${startedAt.toISOString()}; Node ${process.version}, ${cpus().length} × ${cpus()[0]?.model ?? 'cpu'}; ` +
        `${SERVICES.length} services, FerretDB and NATS as the test suite starts them; ${Math.round((Date.now() - t0) / 1000)} s; ` +
        `load average ${loadBefore.toFixed(1)} before, ${(loadavg()[0] as number).toFixed(1)} after`,
      '',
      '| measure | result | errors | ceiling (same run) | ratio |',
      '|---|---:|---:|---:|---:|',
      `| ceiling: gRPC echo, 16 in flight | ${tp(echo['16'])} | ${errorsText(echo['16'].errors)} | | |`,
      `| ceiling: gRPC echo, 64 in flight | ${tp(echo['64'])} | ${errorsText(echo['64'].errors)} | | |`,
      `| ceiling: JetStream publish, 64 in flight | ${tp(jetStream)} | ${errorsText(jetStream.errors)} | | |`,
      `| CreateHelpRequest, 16 in flight | ${tp(create16)} | ${errorsText(create16.errors)} | ${fmt(echo['16'].perSecond)}/s | ${pct(ratio(create16.perSecond, echo['16'].perSecond))} |`,
      `| CreateHelpRequest, 64 in flight | ${tp(create64)} | ${errorsText(create64.errors)} | ${fmt(echo['64'].perSecond)}/s | ${pct(ratio(create64.perSecond, echo['64'].perSecond))} |`,
      `| ClaimTask + RecordOutcome (outcomes), 16 in flight | ${tp(outcomes)} | ${errorsText(outcomes.errors)} | ${fmt(echo['16'].perSecond / 2)}/s (echo ×16, 2 calls each) | ${pct(ratio(outcomes.perSecond, echo['16'].perSecond / 2))} |`,
      lat
        ? `| intake → task listed, ${fmt(lat.ratePerSecond)}/s (half of peak) | p50 ${fmt(lat.intakeToTaskListedMs.p50, ' ms')}, p99 ${fmt(lat.intakeToTaskListedMs.p99, ' ms')} (${lat.intakeToTaskListedMs.count} of ${lat.created.ok} requests listed) | ${errorsText({ ...lat.created.errors, ...lat.errors })} | | |`
        : '| intake → task listed | not measured (no CreateHelpRequest succeeded) | | | |',
      lat
        ? `| verified → proposal, same requests | p50 ${fmt(lat.verifiedToProposalMs.p50, ' ms')}, p99 ${fmt(lat.verifiedToProposalMs.p99, ' ms')} (${lat.verifiedToProposalMs.count}; ${lat.notProposed} without) | | | |`
        : '| verified → proposal | not measured | | | |',
      ...(['createHelpRequest', 'getHelpRequest', 'listTasks'] as const).map(
        (op) =>
          `| ${op[0]?.toUpperCase()}${op.slice(1)} p50, ${flat1.stored.toLocaleString('en-US')} → ${flat2.stored.toLocaleString('en-US')} stored${sizeNote(fill2, options.n2)} | ${fmt(flat1[op].p50, ' ms')} → ${fmt(flat2[op].p50, ' ms')} | ${errorsText({ ...flat1.errors, ...flat2.errors })} | | ${fmt(flat(op))}× |`,
      ),
      surged
        ? `| surge: ${fmt(surged.ratePerSecond)}/s for ${fmt(options.surgeMs / 1000, ' s')} (10 × ${fmt(surged.steadyRatePerSecond)}/s) | ${surged.accepted} accepted, backlog up to ${surged.maxBacklog}, ${surged.drainedMs === null ? 'not drained' : `drained ${fmt(surged.drainedMs / 1000, ' s')} after`}, lost ${surged.lost ?? '?'} | ${errorsText(surged.created.errors)} | | |`
        : '| surge | not run | | | |',
      '',
      '| target | goal | status |',
      '|---|---|---|',
      ...targets.map((t) => `| ${t.name} | ${t.goal} | ${t.met ? 'met' : 'missed'}: ${t.detail} |`),
    ];
    json = {
      benchmark: 'platform',
      generatedAt: new Date().toISOString(),
      durationS: Math.round((Date.now() - t0) / 1000),
      machine: {
        node: process.version,
        cpus: cpus().length,
        cpuModel: cpus()[0]?.model ?? null,
        loadAverage1m: { before: round2(loadBefore), after: round2(loadavg()[0] as number) },
      },
      options: { ...options, out: undefined },
      services: SERVICES,
      ceilings: { grpcEcho16: echo['16'], grpcEcho64: echo['64'], jetStreamPublish64: jetStream },
      createHelpRequest: {
        in16: create16,
        in64: create64,
        peakPerSecond: peak,
        ratioToEcho16: ratio(create16.perSecond, echo['16'].perSecond),
        ratioToEcho64: ratio(create64.perSecond, echo['64'].perSecond),
        ratioPeakToEchoPeak: createRatio,
      },
      outcomes,
      latency: lat,
      flatness: { n1: { ...flat1, fill: fill1 }, n2: { ...flat2, fill: fill2 } },
      surge: surged,
      setup: {
        lots,
        standingQueue: ledger.queue.length,
        stored: ledger.stored,
        fillErrors: ledger.fillErrors,
      },
      settleMs: settles,
      errorSamples,
      targets,
    };
  } catch (error) {
    progress.stop();
    throw error;
  } finally {
    await platform.stop();
  }

  console.log(lines.join('\n'));
  mkdirSync(join(options.out, '..'), { recursive: true });
  writeFileSync(options.out, `${JSON.stringify(json, null, 2)}\n`);
  console.log(`\nwrote ${options.out}`);
  if (lost !== null && lost > 0) {
    console.error(`bench: ${lost} accepted request(s) never got a verification task`);
    process.exitCode = 1;
  }
}

main().catch((error: unknown) => {
  if (error instanceof UsageError) {
    console.error(`bench: ${error.message}\n\n${USAGE}`);
    process.exit(2);
  }
  console.error(error);
  process.exit(1);
});
