/**
 * Fan-out benchmark (issue 3): with thousands of browser sockets connected, the time from a
 * meter's consumption report leaving the meter to the matching `balance_updated` reaching
 * each of its owner's sockets, and the server's memory per connected socket. The server runs
 * in this process; sockets and meters run in child processes on 127.0.0.1.
 *
 *   npx tsx bench/fanout.ts --sockets 5000 --meters 1000 --interval-s 5 --seconds 30
 *
 * `--ingest-delay-ms` overrides INGEST_BATCH_DELAY_MS: on PGlite every ingest transaction blocks
 * the event loop, so fewer, larger batches can lower the tail at the cost of the median.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import v8 from 'node:v8';
import vm from 'node:vm';
import { SYSTEM } from '../packages/server/src/shared/access';
import { startTestApp } from '../tests/helpers/app';

const { values } = parseArgs({
  options: {
    sockets: { type: 'string', default: '5000' },
    meters: { type: 'string', default: '1000' },
    'interval-s': { type: 'string', default: '5' },
    seconds: { type: 'string', default: '30' },
    'client-processes': { type: 'string', default: '2' },
    'timeout-s': { type: 'string', default: '600' },
    'ingest-delay-ms': { type: 'string' },
  },
});
const SOCKETS = Math.min(Number(values.sockets), 20_000);
const METERS = Math.min(Number(values.meters), 5_000);
const INTERVAL_MS = Number(values['interval-s']) * 1000;
const SECONDS = Math.min(Number(values.seconds), 600);
const CLIENT_PROCESSES = Math.max(1, Math.min(Number(values['client-processes']), 8));
/** Reports published this long after the start are measured; earlier ones warm up. */
const WARMUP_MS = Math.min(5000, (SECONDS * 1000) / 4);

const here = import.meta.dirname;
const children: ChildProcess[] = [];

function collectGarbage(): () => void {
  v8.setFlagsFromString('--expose-gc');
  return vm.runInNewContext('gc') as () => void;
}
const gc = collectGarbage();

function memory(): { heapMb: number; rssMb: number; heapBytes: number; rssBytes: number } {
  gc();
  gc();
  const m = process.memoryUsage();
  return { heapBytes: m.heapUsed, rssBytes: m.rss, heapMb: m.heapUsed / 1e6, rssMb: m.rss / 1e6 };
}

function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

function spawnChild(file: string): ChildProcess {
  const child = fork(join(here, 'fanout', file), [], { execArgv: ['--import', 'tsx'], stdio: 'inherit' });
  children.push(child);
  return child;
}

function nextMessage<T>(child: ChildProcess, type: string, timeoutMs: number): Promise<T> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`child did not send ${type} in time`)), timeoutMs);
    const onMessage = (m: { type: string }) => {
      if (m.type !== type) return;
      clearTimeout(timer);
      child.off('message', onMessage);
      resolve(m as T);
    };
    child.on('message', onMessage);
    child.once('exit', (code) => reject(new Error(`child exited (${code}) before sending ${type}`)));
  });
}

const round = (x: number, digits = 1) => Math.round(x * 10 ** digits) / 10 ** digits;

export async function runFanoutBench(): Promise<Record<string, unknown>> {
  const t = await startTestApp('pglite', {
    LOG_LEVEL: 'warn',
    ...(values['ingest-delay-ms'] ? { INGEST_BATCH_DELAY_MS: Number(values['ingest-delay-ms']) } : {}),
  });
  try {
    // Customers, each with one meter and SOCKETS / METERS open tabs.
    const { rows: users } = await t.app.services.db.query<{ id: string }>(
      `INSERT INTO users (email, name, phone, password_hash, role)
       SELECT 'fanout' || g || '@bench.local', 'Bench ' || g, '254700000000', 'not-a-hash', 'customer'
         FROM generate_series(1, $1::int) AS g RETURNING id`,
      [METERS],
    );
    const prefix = `F${Date.now().toString(36).slice(-4)}`;
    const creds: { meterNo: string; secret: string }[] = [];
    const tokens: string[] = [];
    for (const [i, u] of users.entries()) {
      const meterNo = `${prefix}${i}`.slice(0, 12);
      const r = await t.app.services.meters.register(SYSTEM, {
        meterNo,
        userId: u.id,
        openingCreditKwh: 10_000,
      });
      creds.push({ meterNo, secret: r.mqttPassword });
      tokens.push(await t.app.services.tokens.issue(u.id, 'customer'));
    }
    const socketTokens = Array.from({ length: SOCKETS }, (_, i) => tokens[i % tokens.length]!);
    const before = memory();

    const connectStarted = Date.now();
    const clientProcs = Array.from({ length: CLIENT_PROCESSES }, () => spawnChild('clients.ts'));
    const connectedMsgs = clientProcs.map((c, k) => {
      const mine = socketTokens.filter((_, i) => i % CLIENT_PROCESSES === k);
      c.send({ type: 'start', url: t.url, tokens: mine, connectConcurrency: 100 });
      return nextMessage<{ sockets: number; failures: number }>(c, 'connected', 180_000);
    });
    const connected = await Promise.all(connectedMsgs);
    const connectS = (Date.now() - connectStarted) / 1000;
    const socketCount = t.app.realtime.localSockets;
    const refused = connected.reduce((s, c) => s + c.failures, 0);
    const after = memory();

    const metersProc = spawnChild('meters.ts');
    metersProc.send({ type: 'start', url: t.mqttUrl, creds, intervalMs: INTERVAL_MS, seconds: SECONDS });
    await nextMessage(metersProc, 'connected', 120_000);
    const loop = monitorEventLoopDelay({ resolution: 10 });
    loop.enable();
    let rssMaxBytes = 0;
    const rssTimer = setInterval(() => (rssMaxBytes = Math.max(rssMaxBytes, process.memoryUsage().rss)), 500);
    const published = await nextMessage<{ published: [string, number, number][]; unacked: number }>(
      metersProc,
      'result',
      (SECONDS + 60) * 1000,
    );
    // The last reports may still be on their way through the server.
    await new Promise((r) => setTimeout(r, 5000));
    loop.disable();
    clearInterval(rssTimer);
    const results = await Promise.all(
      clientProcs.map((c) => {
        const r = nextMessage<{ arrivals: [string, number, number, number][]; disconnects: number }>(
          c,
          'result',
          60_000,
        );
        c.send({ type: 'stop' });
        return r;
      }),
    );

    const publishedAt = new Map<string, number>();
    const firstAt = Math.min(...published.published.map((p) => p[2]));
    for (const [meterNo, mwh, at] of published.published) {
      if (at - firstAt >= WARMUP_MS) publishedAt.set(`${meterNo}:${mwh}`, at);
    }
    const latencies: number[] = [];
    // From the change being made on the server (the event's timestamp) to the socket: the fan-out alone.
    const fanout: number[] = [];
    for (const r of results) {
      for (const [meterNo, mwh, at, emittedAt] of r.arrivals) {
        const sent = publishedAt.get(`${meterNo}:${mwh}`);
        if (sent === undefined) continue;
        latencies.push(at - sent);
        fanout.push(at - emittedAt);
      }
    }
    latencies.sort((x, y) => x - y);
    fanout.sort((x, y) => x - y);
    if (process.env.FANOUT_DEBUG) {
      const got = new Set(results.flatMap((r) => r.arrivals.map(([m, e]) => `${m}:${e}`)));
      const lastAt = Math.max(...publishedAt.values());
      const missing = [...publishedAt.entries()]
        .filter(([k]) => !got.has(k))
        .map(([k, at]) => [k, Math.round(lastAt - at)]);
      console.log('missing reports (key, ms before the last publish):', JSON.stringify(missing.slice(0, 40)));
    }
    // The ingest histogram's bucket that holds the 99th percentile: report received → committed.
    const commit = (await t.app.metrics.ingestCommitSeconds.get()).values.filter(
      (v) => v.labels.le !== undefined,
    );
    const commitCount = commit.find((v) => v.labels.le === '+Inf')?.value ?? 0;
    const commitP99Bound = commit.find((v) => v.value >= commitCount * 0.99)?.labels.le;
    const socketsPerMeter = SOCKETS / METERS;
    const expected = publishedAt.size * socketsPerMeter;
    return {
      label: `fan-out: ${socketCount} sockets, ${METERS} meters every ${INTERVAL_MS / 1000} s`,
      sockets: socketCount,
      socketsRefused: refused,
      connectSeconds: round(connectS),
      meters: METERS,
      measuredReports: publishedAt.size,
      deliveries: latencies.length,
      deliveriesExpected: expected,
      // a report that arrived while an update for the same meter was held back is covered by the next one
      deliveriesCoalescedOrLost: expected - latencies.length,
      latencyMsP50: round(percentile(latencies, 50)),
      latencyMsP90: round(percentile(latencies, 90)),
      latencyMsP99: round(percentile(latencies, 99)),
      latencyMsMax: round(latencies[latencies.length - 1] ?? NaN),
      changeToSocketMsP50: round(percentile(fanout, 50)),
      changeToSocketMsP99: round(percentile(fanout, 99)),
      receiveToCommitMsP99AtMost: commitP99Bound === undefined ? null : Number(commitP99Bound) * 1000,
      heapKbPerSocket: round((after.heapBytes - before.heapBytes) / socketCount / 1024),
      rssKbPerSocket: round((after.rssBytes - before.rssBytes) / socketCount / 1024),
      serverHeapMb: round(after.heapMb),
      serverRssMbMax: round(rssMaxBytes / 1e6),
      eventLoopDelayMsP99: round(loop.percentile(99) / 1e6),
      clientDisconnects: results.reduce((s, r) => s + r.disconnects, 0),
      // other work on the machine skews every figure above
      loadAverage1m: round(loadavg()[0] ?? NaN, 2),
    };
  } finally {
    for (const c of children) if (c.exitCode === null) c.kill();
    await t.close();
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const limit = setTimeout(
    () => {
      console.error('fan-out benchmark took too long; stopping');
      for (const c of children) c.kill('SIGKILL');
      process.exit(1);
    },
    Number(values['timeout-s']) * 1000,
  );
  limit.unref();
  runFanoutBench().then(
    (r) => {
      console.log(JSON.stringify(r, null, 2));
      console.log(`RESULT ${JSON.stringify(r)}`);
      process.exit(0);
    },
    (err: unknown) => {
      console.error(err);
      for (const c of children) c.kill('SIGKILL');
      process.exit(1);
    },
  );
}
