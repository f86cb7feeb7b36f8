/**
 * Ingest benchmark: sustained consumption reports applied to the database per second and
 * publish → commit latency (p50/p99), through the embedded stack (Aedes + PGlite) and through
 * PostgreSQL and an external broker when DATABASE_URL / MQTT_URL are set.
 *
 *   npx tsx bench/ingest.ts --db pglite --broker embedded --meters 1000 --rate 3000 --seconds 15 [--ramp 5]
 *
 * With --ramp the rate climbs linearly from zero over that many seconds first; the figures
 * (rates, latencies, batches, event-loop delay, CPU) cover the `seconds` at full rate only,
 * while p99MsBySecond and latencyMsP50/P99 cover the whole run. CPU is in % of one core, for
 * this process (the server), the generator, and the machine's PostgreSQL and Mosquitto.
 */
import { fork } from 'node:child_process';
import { join } from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import { startTestApp } from '../tests/helpers/app';
import { SYSTEM } from '../packages/server/src/shared/access';
import { writeGeneratorInput } from '../tests/helpers/generator-input';
import { cpuShares } from './cpu';

const { values } = parseArgs({
  options: {
    db: { type: 'string', default: 'pglite' },
    broker: { type: 'string', default: 'embedded' },
    meters: { type: 'string', default: '1000' },
    rate: { type: 'string', default: '3000' },
    seconds: { type: 'string', default: '15' },
    inflight: { type: 'string', default: '10' },
    ramp: { type: 'string', default: '0' },
    label: { type: 'string' },
  },
});
const db = values.db === 'postgres' ? 'postgres' : 'pglite';
const meters = Number(values.meters);
const ratePerS = Number(values.rate);
const seconds = Number(values.seconds);
/** seconds of linear climb to the full rate before the measured `seconds` */
const rampS = Number(values.ramp);

function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

/** One report in this many has its publish → commit latency measured. */
const LOG_EVERY = 10;

/** Without a ramp: seconds at the start of a run left out of the steady-state figures. */
const WARMUP_S = 3;

export async function runIngestBench(): Promise<Record<string, unknown>> {
  if (db === 'postgres' && !process.env.DATABASE_URL)
    throw new Error('DATABASE_URL is required for --db postgres');
  const external = values.broker !== 'embedded';
  if (external && !process.env.MQTT_URL) throw new Error('MQTT_URL is required for --broker external');
  const t = await startTestApp(db, {
    ...(external ? { MQTT_URL: process.env.MQTT_URL, embeddedBroker: false } : {}),
    LOG_LEVEL: 'warn',
    DB_POOL_SIZE: 10,
    // Tuning runs: INGEST_CONCURRENCY=6 INGEST_BATCH_MAX=500 npx tsx bench/ingest.ts …
    ...(process.env.INGEST_CONCURRENCY ? { INGEST_CONCURRENCY: Number(process.env.INGEST_CONCURRENCY) } : {}),
    ...(process.env.INGEST_BATCH_MAX ? { INGEST_BATCH_MAX: Number(process.env.INGEST_BATCH_MAX) } : {}),
    ...(process.env.INGEST_BATCH_DELAY_MS
      ? { INGEST_BATCH_DELAY_MS: Number(process.env.INGEST_BATCH_DELAY_MS) }
      : {}),
  });
  try {
    const prefix = `B${Date.now().toString(36).slice(-4)}`;
    const creds: { meterNo: string; secret: string }[] = [];
    for (let i = 0; i < meters; i++) {
      const meterNo = `${prefix}${i}`.slice(0, 12);
      const r = await t.app.services.meters.register(SYSTEM, { meterNo, openingCreditKwh: 1000 });
      creds.push({ meterNo, secret: r.mqttPassword });
    }
    const index = new Map(creds.map((c, i) => [c.meterNo, i]));
    // Per meter: publishes not yet matched to a commit, and the commits seen (energy only grows).
    // The generator reports its publish times in batches, which may arrive after the commit
    // they belong to, so a publish is matched to the first commit that covers its total.
    const pending: [number, number][][] = creds.map(() => []);
    const commits: [number, number][][] = creds.map(() => []);
    /** publish→commit latencies by second of the run (from the first publish): warm-up vs steady state */
    const bySecond: number[][] = [];
    let firstPublishAt = 0;
    /** publishes from this time on count in the steady-state figures */
    let steadyFrom = Infinity;
    const steady: number[] = [];
    const settle = (i: number) => {
      const q = pending[i]!;
      const c = commits[i]!;
      let k = 0;
      while (q.length) {
        const [mwh, at] = q[0]!;
        while (k < c.length && c[k]![0] < mwh) k++;
        if (k === c.length) break;
        firstPublishAt ||= at;
        const latency = Math.max(0, c[k]![1] - at);
        (bySecond[Math.floor((at - firstPublishAt) / 1000)] ??= []).push(latency);
        if (at >= steadyFrom) steady.push(latency);
        q.shift();
      }
      // commits older than the one that settled the last publish are no longer needed
      if (k > 0) c.splice(0, Math.min(k, c.length - 1));
      // With nothing waiting, only a publish whose log is still on its way (logs lag their
      // publishes by well under a second) can need a commit: older ones go.
      if (q.length === 0) {
        const old = Date.now() - 2000;
        let drop = 0;
        while (drop < c.length - 1 && c[drop]![1] < old) drop++;
        if (drop > 0) c.splice(0, drop);
      }
    };
    if (process.env.BENCH_EXP_NOLISTENERS) t.app.bus.removeAllListeners('meter_changed');
    t.app.bus.on('meter_changed', (e) => {
      if (e.cause !== 'consumption') return;
      const i = index.get(e.meterNo);
      if (i === undefined) return;
      commits[i]!.push([e.energyMwh, Date.now()]);
      settle(i);
    });
    // Each batch's size and time (lock → commit), and the server's event-loop delay: where the latency goes.
    const ingest = t.app.services.ingest;
    const applyBatch = ingest.applyConsumptionReports.bind(ingest);
    const batches: [number, number][] = [];
    ingest.applyConsumptionReports = async (items) => {
      const started = performance.now();
      await applyBatch(items);
      batches.push([items.length, performance.now() - started]);
    };
    const loopDelay = monitorEventLoopDelay({ resolution: 10 });
    const appliedMetric = async () =>
      (await t.app.metrics.ingestReports.get()).values.find((v) => v.labels.outcome === 'applied')?.value ??
      0;

    const child = fork(
      join(import.meta.dirname, '..', 'tests', 'helpers', 'load-generator.ts'),
      [
        writeGeneratorInput({
          url: t.mqttUrl,
          creds,
          ratePerS,
          seconds,
          rampS,
          inflightPerMeter: Number(values.inflight),
          connectConcurrency: 50,
          // A sample of one report in LOG_EVERY is timed: matching every one would cost the
          // server's process (where this runs) a share of the CPU it is being measured on.
          logEvery: LOG_EVERY,
        }),
      ],
      { execArgv: ['--import', 'tsx'] },
    );
    let done: { sent: number; skipped: number; registers: number[] } | null = null;
    let windowStartedAt = 0;
    let cpuDuringLoad: (() => Record<string, number>) | null = null;
    let appliedAtStart = 0;
    let sentAtStart = 0;
    let rssMax = 0;
    const rss = setInterval(() => (rssMax = Math.max(rssMax, process.memoryUsage().rss)), 200);
    await new Promise<void>((resolve, reject) => {
      child.on('message', (m: { type: string; log?: [number, number, number][]; sent?: number }) => {
        if (m.type === 'full_rate') {
          // The measured window: from the full rate on (a ramp, if any, is left out).
          windowStartedAt = Date.now();
          sentAtStart = m.sent ?? 0;
          steadyFrom = windowStartedAt + (rampS > 0 ? 0 : WARMUP_S * 1000);
          batches.length = 0;
          loopDelay.reset();
          loopDelay.enable();
          cpuDuringLoad = cpuShares({ server: process.pid, generator: child.pid });
          void appliedMetric().then((v) => (appliedAtStart = v));
        } else if (m.type === 'log') {
          const touched = new Set<number>();
          for (const [i, mwh, at] of m.log!) {
            pending[i]!.push([mwh, at]);
            touched.add(i);
          }
          for (const i of touched) settle(i);
        } else if (m.type === 'done') {
          done = m as unknown as typeof done;
          resolve();
        }
      });
      child.on('exit', (code) => (code ? reject(new Error(`generator exited ${code}`)) : resolve()));
    });
    const burstEnd = Date.now();
    loopDelay.disable();
    const cpuPercentOfCore = (cpuDuringLoad as (() => Record<string, number>) | null)?.() ?? {};
    const appliedInWindow = (await appliedMetric()) - appliedAtStart;
    // let the tail commit, then check every register is exact
    const d = done as unknown as { sent: number; skipped: number; registers: number[] };
    await t.app.services.ingest.flush();
    await new Promise((r) => setTimeout(r, 1000));
    clearInterval(rss);
    const windowS = (burstEnd - windowStartedAt) / 1000;
    const latencies = bySecond.flat().sort((a, b) => a - b);
    // Steady state: at the full rate, and without a ramp also without the first WARMUP_S
    // seconds (JIT, pools and connections warming up).
    steady.sort((a, b) => a - b);
    const p99BySecond = bySecond.map((xs) =>
      percentile(
        [...xs].sort((a, b) => a - b),
        99,
      ),
    );
    return {
      label: values.label ?? `ingest ${db} + ${external ? 'external broker' : 'embedded broker'}`,
      meters,
      offeredPerS: ratePerS,
      rampS,
      sentPerS: Math.round((d.sent - sentAtStart) / windowS),
      skippedByMeters: d.skipped,
      appliedPerS: Math.round(appliedInWindow / windowS),
      latencyMsP50: percentile(latencies, 50),
      latencyMsP99: percentile(latencies, 99),
      steadyLatencyMsP50: percentile(steady, 50),
      steadyLatencyMsP99: percentile(steady, 99),
      p99MsBySecond: p99BySecond,
      samples: latencies.length,
      batches: batches.length,
      batchSizeMean: Math.round(batches.reduce((a, [n]) => a + n, 0) / Math.max(1, batches.length)),
      batchMsP50:
        Math.round(
          percentile(
            batches.map(([, ms]) => ms).sort((a, b) => a - b),
            50,
          ) * 10,
        ) / 10,
      batchMsP99:
        Math.round(
          percentile(
            batches.map(([, ms]) => ms).sort((a, b) => a - b),
            99,
          ) * 10,
        ) / 10,
      eventLoopDelayMsP99: Math.round(loopDelay.percentile(99) / 1e5) / 10,
      eventLoopDelayMsMax: Math.round(loopDelay.max / 1e5) / 10,
      cpuPercentOfCore,
      serverRssMb: Math.round(rssMax / 1e6),
    };
  } finally {
    await t.close();
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  runIngestBench().then(
    (r) => {
      console.log(JSON.stringify(r, null, 2));
      console.log(`RESULT ${JSON.stringify(r)}`);
      process.exit(0);
    },
    (err: unknown) => {
      console.error(err);
      process.exit(1);
    },
  );
}
