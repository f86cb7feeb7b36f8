/**
 * Fleet view benchmark (issue 5): 10,000 meters seeded straight into the database, then the
 * p99 of the first page of the admin fleet list with each filter (target < 50 ms), and of a
 * consumption report reaching an admin socket as a `fleet_update` row (coalesced per second
 * by design, so up to one window of that is intended delay).
 *
 *   npx tsx bench/fleet-view.ts --meters 10000 --requests 200 --updates 20
 */
import { parseArgs } from 'node:util';
import { SOCKET_NAMESPACE } from '@umeme/protocol';
import { io } from 'socket.io-client';
import { hashDeviceSecret } from '../packages/server/src/meters/device-credentials';
import { connectAsMeter, startTestApp, v2Report } from '../tests/helpers/app';

const { values } = parseArgs({
  options: {
    meters: { type: 'string', default: '10000' },
    requests: { type: 'string', default: '200' },
    updates: { type: 'string', default: '20' },
  },
});
const METERS = Math.min(Number(values.meters), 100_000);
const REQUESTS = Math.min(Number(values.requests), 5_000);
const UPDATES = Math.min(Number(values.updates), 500);
const SECRET = 'bench-secret-0123456789abcdef';

const percentile = (sorted: number[], p: number) =>
  sorted.length ? sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]! : NaN;
const round = (n: number) => Math.round(n * 100) / 100;

async function main(): Promise<void> {
  const t = await startTestApp();
  const db = t.app.services.db;
  const seedStart = Date.now();
  await db.query(
    `INSERT INTO users (email, name, password_hash, role)
     SELECT 'owner' || i || '@bench.local', 'Owner ' || i, 'x', 'customer' FROM generate_series(1, $1::int / 2) i`,
    [METERS],
  );
  await db.query(
    `INSERT INTO meters (meter_no, user_id, e0_mwh, credit_limit_mwh, energy_mwh, relay, status, last_seen, power_w, fw,
                         register_at_ms)
     SELECT 'B' || lpad(i::text, 6, '0'),
            (SELECT id FROM users WHERE email = 'owner' || ((i % ($1::int / 2)) + 1) || '@bench.local'),
            0, (i * 7919) % 20000000, (i * 104729) % 15000000,
            CASE WHEN i % 7 = 0 THEN 'off' ELSE 'on' END,
            CASE WHEN i % 11 = 0 THEN 'offline' ELSE 'online' END,
            now() - (i % 600) * interval '1 second', (i * 37) % 3000, '2.1.' || (i % 4),
            -- registers last grew a day ago, so the measured reports are plausible (MQ-13) and take the common path
            (extract(epoch FROM now() - interval '1 day') * 1000)::bigint
       FROM generate_series(1, $1::int) i`,
    [METERS],
  );
  await db.query(
    `INSERT INTO alerts (meter_no, kind, severity, message)
     SELECT 'B' || lpad(i::text, 6, '0'), 'low_balance', 'warning', 'Low balance' FROM generate_series(1, $1::int, 13) i`,
    [METERS],
  );
  await db.query(
    `INSERT INTO device_credentials (meter_no, secret_hash) SELECT meter_no, $1 FROM meters WHERE meter_no LIKE 'B%'`,
    [hashDeviceSecret(SECRET)],
  );
  await db.query('ANALYZE');
  console.log(`seeded ${METERS} meters in ${Date.now() - seedStart} ms`);

  const filters = ['offline', 'low_balance', 'relay_off', 'alerting'];
  const headers = { authorization: `Bearer ${t.adminToken}` };
  for (let i = 0; i < 20; i++) await fetch(`${t.url}/api/admin/meters?filter=offline&limit=50`, { headers });
  const listMs: number[] = [];
  for (let i = 0; i < REQUESTS; i++) {
    const filter = filters[i % filters.length]!;
    const started = performance.now();
    const res = await fetch(`${t.url}/api/admin/meters?filter=${filter}&limit=50&sort=-balance`, { headers });
    await res.arrayBuffer();
    listMs.push(performance.now() - started);
    if (res.status !== 200) throw new Error(`fleet list answered ${res.status}`);
  }
  listMs.sort((a, b) => a - b);

  const socket = io(`${t.url}${SOCKET_NAMESPACE}`, {
    auth: { token: t.adminToken },
    transports: ['websocket'],
    reconnection: false,
  });
  await new Promise<void>((resolve, reject) => {
    socket.once('connect', () => resolve());
    socket.once('connect_error', reject);
  });
  const waiting = new Map<string, (at: number) => void>();
  socket.on(
    'fleet_update' as never,
    ((e: { meters: { meterNo: string }[] }) => {
      const now = performance.now();
      for (const m of e.meters) waiting.get(m.meterNo)?.(now);
    }) as never,
  );
  const updateMs: number[] = [];
  for (let i = 0; i < UPDATES; i++) {
    const meterNo = `B${String(i + 1).padStart(6, '0')}`;
    const meter = await connectAsMeter(t.mqttUrl, { meterNo, secret: SECRET });
    // Past one coalescing window since the last batch: this measures the path, not the window.
    await new Promise((r) => setTimeout(r, 1100));
    const arrived = new Promise<number>((resolve) => waiting.set(meterNo, resolve));
    const started = performance.now();
    await meter.publishAsync(`smartmeter/${meterNo}/consumption`, v2Report(meterNo, 1, 15 + i), { qos: 1 });
    const at = await Promise.race([arrived, new Promise<number>((r) => setTimeout(() => r(NaN), 5000))]);
    if (!Number.isNaN(at)) updateMs.push(at - started);
    waiting.delete(meterNo);
    await meter.endAsync();
  }
  updateMs.sort((a, b) => a - b);
  socket.close();
  await t.close();

  const result = {
    meters: METERS,
    listRequests: REQUESTS,
    listMsP50: round(percentile(listMs, 50)),
    listMsP99: round(percentile(listMs, 99)),
    listTargetMsP99: 50,
    liveUpdates: updateMs.length,
    liveUpdateMsP50: round(percentile(updateMs, 50)),
    liveUpdateMsP99: round(percentile(updateMs, 99)),
    liveCoalesceWindowMs: 1000,
  };
  console.log(
    `fleet list p50 ${result.listMsP50} ms, p99 ${result.listMsP99} ms; live update p50 ${result.liveUpdateMsP50} ms, p99 ${result.liveUpdateMsP99} ms`,
  );
  console.log(`RESULT ${JSON.stringify(result)}`);
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    console.error(err);
    process.exit(1);
  },
);
