/**
 * `npm run bench`: runs each benchmark in a fresh process, one after another, and prints a
 * summary. PostgreSQL and Mosquitto variants run when DATABASE_URL / MQTT_URL are set, or
 * when the local services answer on their standard ports. Bounded in time; loopback only.
 *
 *   npm run bench                 all scenarios
 *   npm run bench -- --only fleet scenarios whose name contains "fleet"
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { connect } from 'node:net';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { SERVER_NODE_FLAGS } from '../packages/server/src/node-flags';

const { values } = parseArgs({ options: { only: { type: 'string' } } });

function portOpen(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = connect({ host: '127.0.0.1', port });
    s.setTimeout(500);
    s.once('connect', () => (s.destroy(), resolve(true)));
    s.once('error', () => resolve(false));
    s.once('timeout', () => (s.destroy(), resolve(false)));
  });
}

interface Scenario {
  name: string;
  script: string;
  args: string[];
  needs?: ('postgres' | 'mqtt')[];
  /** how long it may run; 10 minutes unless said */
  timeoutMs?: number;
}

const scenarios: Scenario[] = [
  {
    name: 'ingest embedded (Aedes + PGlite)',
    script: 'ingest.ts',
    args: [
      '--db',
      'pglite',
      '--broker',
      'embedded',
      '--meters',
      '1000',
      '--rate',
      '3000',
      '--seconds',
      '15',
      '--ramp',
      '5',
    ],
  },
  {
    name: 'ingest PostgreSQL + Mosquitto',
    script: 'ingest.ts',
    args: [
      '--db',
      'postgres',
      '--broker',
      'external',
      '--meters',
      '2000',
      '--rate',
      '10000',
      '--seconds',
      '15',
      '--ramp',
      '5',
    ],
    needs: ['postgres', 'mqtt'],
  },
  {
    name: 'fleet embedded: 5,000 meters every 5 s',
    script: 'ingest.ts',
    args: ['--db', 'pglite', '--broker', 'embedded', '--meters', '5000', '--rate', '1000', '--seconds', '20'],
  },
  {
    name: 'fleet PostgreSQL + Mosquitto: 5,000 meters every 5 s',
    script: 'ingest.ts',
    args: [
      '--db',
      'postgres',
      '--broker',
      'external',
      '--meters',
      '5000',
      '--rate',
      '1000',
      '--seconds',
      '20',
    ],
    needs: ['postgres', 'mqtt'],
  },
  { name: 'fan-out to browsers', script: 'fanout.ts', args: [] },
  // Issue 4's target is at 1,000 payments/s on PostgreSQL: the steady phase runs at that rate.
  { name: 'payments PGlite (embedded broker)', script: 'payments.ts', args: ['--db', 'pglite'] },
  {
    name: 'payments PostgreSQL + Mosquitto',
    script: 'payments.ts',
    args: ['--db', 'postgres', '--rate', '1000'],
    needs: ['postgres', 'mqtt'],
  },
  // Issue 16: two server processes on one database and one broker (their own Mosquitto); the
  // figures are the sum of both instances. Bounded: about a minute on a quiet machine.
  {
    name: 'two instances: ingest and payments',
    script: 'two-instances.ts',
    args: ['--meters', '200', '--rate', '2000', '--seconds', '10', '--payments', '1000'],
    needs: ['postgres', 'mqtt'],
  },
  // Issue 16: one of two instances killed mid-ingest (its own Mosquitto, PostgreSQL).
  { name: 'failover: instance death to full rate', script: 'failover.ts', args: [], needs: ['postgres'] },
  // Issue 18: 10,000 meters cross low balance at once; the SMS outbox's rate, and credits meanwhile.
  { name: 'SMS outbox: 10,000 low-balance messages', script: 'sms.ts', args: [] },
  // Issue 16, PAY-8: the seeded fleet simulation in full against an independent model.
  {
    name: 'PAY-8 fleet simulation: 1,000 meters × 24 h',
    script: 'fleet-sim.ts',
    args: [],
    needs: ['postgres'],
    // registering 1,000 meters with the broker alone takes minutes
    timeoutMs: 25 * 60_000,
  },
  { name: 'fleet view', script: 'fleet-view.ts', args: [] },
  { name: 'dashboard load', script: 'web-load.ts', args: [] },
];

/** The figure an issue set a target for, in words, above the scenario's full result. */
const headlines: Record<string, (r: Record<string, unknown>) => string> = {
  'payments PostgreSQL + Mosquitto': (r) => {
    const sat = r.saturated as Record<string, number>;
    const st = r.steady as Record<string, number>;
    const met =
      (sat.appliedPerS ?? 0) >= 1000 &&
      (st.appliedPerS ?? 0) >= 990 &&
      (st.receivedToPublishedMsP99 ?? Infinity) < 25;
    return (
      `${String(sat.appliedPerS)}/s applied saturated; at ${String(st.offeredPerS)}/s offered ` +
      `received → command/balance published p50 ${String(st.receivedToPublishedMsP50)} ms, ` +
      `p99 ${String(st.receivedToPublishedMsP99)} ms (callback sent → meter has it p99 ` +
      `${String(st.latencyMsP99)} ms); target ≥ 1,000/s with p99 < 25 ms: ${met ? 'met' : 'MISSED'}` +
      // The tail depends on the machine's headroom as much as on the code: say how much there was.
      (sat.appliedPerS
        ? ` (${String(st.offeredPerS)}/s is ${String(Math.round((100 * (st.offeredPerS ?? 0)) / sat.appliedPerS))} % ` +
          `of what this machine took saturated)`
        : '')
    );
  },
  'SMS outbox: 10,000 low-balance messages': (r) => {
    const alone = r.creditMsAlone as Record<string, number>;
    const during = r.creditMsDuringBurst as Record<string, number>;
    return (
      `${String(r.sent)} SMS handed to the emulator at ${String(r.sentPerS)}/s; credits p50/p99 ` +
      `${String(alone.p50)}/${String(alone.p99)} ms alone, ${String(during.p50)}/${String(during.p99)} ms during the burst`
    );
  },
  'two instances: ingest and payments': (r) =>
    `both instances together: ${String(r.ingestAppliedPerS)} reports/s stored at ${String(r.ingestOfferedPerS)}/s ` +
    `offered; ${String(r.callbacksAnsweredPerS)} STK callbacks/s answered, ${String(r.paymentsCreditedPerS)}/s credited`,
  'dashboard load': (r) =>
    `live balance visible p50 ${String(r.balanceVisibleMsP50)} ms, max ${String(r.balanceVisibleMsMax)} ms ` +
    `(target ${String(r.targetMs)} ms at ${String(r.downKbps)} kbit/s, ${String(r.rttMs)} ms RTT: ` +
    `${r.withinTarget ? 'met' : 'MISSED'}); JS+CSS ${String(r.jsCssTransferredBytes)} B on the wire, ` +
    `${String(r.jsCssGzipBytes)} B gzip`,
};

async function main(): Promise<void> {
  const env: NodeJS.ProcessEnv = { ...process.env, LOG_LEVEL: 'warn' };
  if (!env.DATABASE_URL && (await portOpen(5432)))
    env.DATABASE_URL = 'postgres://postgres@127.0.0.1:5432/test';
  if (!env.MQTT_URL && (await portOpen(1883))) env.MQTT_URL = 'mqtt://127.0.0.1:1883';
  const results: { name: string; result: unknown; note?: string }[] = [];
  for (const s of scenarios) {
    if (values.only && !s.name.toLowerCase().includes(values.only.toLowerCase())) continue;
    const path = join(import.meta.dirname, s.script);
    if (!existsSync(path)) continue;
    const missing = (s.needs ?? []).filter((n) => (n === 'postgres' ? !env.DATABASE_URL : !env.MQTT_URL));
    if (missing.length) {
      results.push({ name: s.name, result: null, note: `skipped: ${missing.join(', ')} not available` });
      continue;
    }
    console.log(`\n▶ ${s.name}`);
    const r = spawnSync(process.execPath, [...SERVER_NODE_FLAGS, '--import', 'tsx', path, ...s.args], {
      env,
      encoding: 'utf8',
      timeout: s.timeoutMs ?? 10 * 60_000,
      maxBuffer: 64 * 1024 * 1024,
    });
    process.stdout.write(
      r.stdout
        .split('\n')
        .filter((l) => !l.startsWith('RESULT '))
        .join('\n'),
    );
    if (r.status !== 0) process.stderr.write(r.stderr.slice(-4000));
    const line = r.stdout.split('\n').find((l) => l.startsWith('RESULT '));
    results.push(
      line
        ? { name: s.name, result: JSON.parse(line.slice(7)) as unknown }
        : { name: s.name, result: null, note: `failed (exit ${r.status ?? r.signal})` },
    );
  }
  console.log('\n=== benchmark summary ===');
  for (const r of results) {
    const headline = r.result ? headlines[r.name]?.(r.result as Record<string, unknown>) : undefined;
    if (headline) console.log(`${r.name}: ${headline}`);
    console.log(`${headline ? '  ' : `${r.name}: `}${r.note ?? JSON.stringify(r.result)}`);
  }
}

void main();
