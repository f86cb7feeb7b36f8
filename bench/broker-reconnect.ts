/**
 * Broker connect/auth throughput (issue 14): N meters connecting at once, and, on Mosquitto,
 * reconnecting after a broker restart: how long until every meter is connected again and has a
 * report applied by the server. Mosquitto with dynamic security managed by the server (its own
 * broker on an ephemeral 127.0.0.1 port), beside the embedded broker. Bounded; stops by itself.
 *
 *   npx tsx bench/broker-reconnect.ts --meters 2000
 */
import { parseArgs } from 'node:util';
import mqtt, { type MqttClient } from 'mqtt';
import { SYSTEM } from '../packages/server/src/shared/access';
import { startTestApp, uniqueMeterNo, v2Report, type TestApp } from '../tests/helpers/app';
import { mosquittoUnavailable, startOwnMosquitto, type OwnMosquitto } from '../tests/helpers/mosquitto';

const { values } = parseArgs({
  options: { meters: { type: 'string', default: '2000' }, only: { type: 'string' } },
});
const METERS = Math.min(Math.max(Number(values.meters), 1), 5000);
const PHASE_TIMEOUT_MS = 180_000;
const REGISTER_CONCURRENCY = 16;

async function within<T>(what: string, p: Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([
      p,
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`${what}: over ${PHASE_TIMEOUT_MS} ms`)), PHASE_TIMEOUT_MS);
      }),
    ]);
  } finally {
    clearTimeout(timer);
  }
}

async function register(t: TestApp, n: number): Promise<{ meterNo: string; secret: string }[]> {
  const out: { meterNo: string; secret: string }[] = [];
  let next = 0;
  await Promise.all(
    Array.from({ length: REGISTER_CONCURRENCY }, async () => {
      while (next < n) {
        next++;
        const meterNo = uniqueMeterNo('B');
        const r = await t.app.services.meters.register(SYSTEM, { meterNo, openingCreditKwh: 100 });
        out.push({ meterNo, secret: r.mqttPassword });
      }
    }),
  );
  return out;
}

/** Polls the database until every meter has applied a report at least `seq`. */
async function allReported(t: TestApp, meterNos: string[], seq: number): Promise<void> {
  for (;;) {
    const { rows } = await t.app.services.db.query<{ n: number }>(
      `SELECT COUNT(*)::int AS n FROM readings WHERE meter_no = ANY($1::text[]) AND seq = $2`,
      [meterNos, seq],
    );
    if (rows[0]!.n >= meterNos.length) return;
    await new Promise((r) => setTimeout(r, 50));
  }
}

interface Fleet {
  clients: MqttClient[];
  connectedAll(): Promise<void>;
}

/** Every meter connects at once; each publishes report `seq` on every (re)connect. */
function connectFleet(url: string, creds: { meterNo: string; secret: string }[], seqOf: () => number): Fleet {
  let connected = 0;
  let waiter: (() => void) | null = null;
  const clients = creds.map((c) => {
    const client = mqtt.connect(url, {
      clientId: c.meterNo,
      username: c.meterNo,
      password: c.secret,
      clean: true,
      keepalive: 60,
      reconnectPeriod: 250,
      connectTimeout: 30_000,
    });
    client.on('error', () => {});
    client.on('connect', () => {
      connected++;
      client.publish(`smartmeter/${c.meterNo}/consumption`, v2Report(c.meterNo, seqOf(), seqOf() / 1000), {
        qos: 1,
      });
      if (connected >= creds.length) waiter?.();
    });
    client.on('close', () => connected--);
    return client;
  });
  return {
    clients,
    connectedAll: () =>
      connected >= creds.length ? Promise.resolve() : new Promise<void>((r) => (waiter = () => r())),
  };
}

async function closeFleet(f: Fleet): Promise<void> {
  await Promise.all(f.clients.map((c) => c.endAsync(true).catch(() => {})));
}

async function storm(t: TestApp, url: string, label: string, broker: OwnMosquitto | null) {
  const t0 = Date.now();
  const creds = await register(t, METERS);
  const registerS = (Date.now() - t0) / 1000;
  const meterNos = creds.map((c) => c.meterNo);
  let seq = 1;
  const fleet = connectFleet(url, creds, () => seq);
  const start = Date.now();
  await within(`${label}: all connected`, fleet.connectedAll());
  const connectedMs = Date.now() - start;
  await within(`${label}: all reported`, allReported(t, meterNos, 1));
  const reportedMs = Date.now() - start;
  console.log(
    `${label}: ${METERS} meters registered in ${registerS.toFixed(1)} s; connecting at once: all connected ${connectedMs} ms, all reports applied ${reportedMs} ms (${Math.round((METERS / connectedMs) * 1000)} connects/s)`,
  );
  if (broker) {
    // A broker without persistence loses the server's subscription too: reports sent before the
    // server has resubscribed go nowhere (harmless: the next report carries the total). So the
    // measure is reconnection, then a report sent once everyone is back, until applied.
    seq = 2;
    const restart = Date.now();
    await broker.restart();
    await within(`${label}: all reconnected`, fleet.connectedAll());
    const backMs = Date.now() - restart;
    await within(
      `${label}: server reconnected`,
      (async () => {
        while (!t.app.mqtt.connected) await new Promise((r) => setTimeout(r, 20));
      })(),
    );
    const serverMs = Date.now() - restart;
    seq = 3;
    fleet.clients.forEach((c, i) =>
      c.publish(`smartmeter/${meterNos[i]}/consumption`, v2Report(meterNos[i]!, 3, 0.003), { qos: 1 }),
    );
    await within(`${label}: all reported after restart`, allReported(t, meterNos, 3));
    const reportingMs = Date.now() - restart;
    console.log(
      `${label}: broker restart → all ${METERS} meters reconnected ${backMs} ms, server ${serverMs} ms, a report from every meter applied ${reportingMs} ms`,
    );
  }
  await closeFleet(fleet);
}

async function main() {
  if (values.only !== 'embedded') {
    const why = mosquittoUnavailable();
    if (why) console.log(`mosquitto + dynsec: skipped (${why})`);
    else {
      const broker = await startOwnMosquitto({ extraConfig: ['max_connections -1'] });
      const t = await startTestApp('pglite', {
        MQTT_URL: broker.adminUrl,
        MQTT_DYNSEC: true,
        embeddedBroker: false,
      });
      try {
        await storm(t, t.mqttUrl, 'mosquitto + dynsec', broker);
      } finally {
        await t.close();
        await broker.stop();
      }
    }
  }
  if (values.only !== 'mosquitto') {
    const t = await startTestApp('pglite');
    try {
      await storm(t, t.mqttUrl, 'embedded (Aedes)', null);
    } finally {
      await t.close();
    }
  }
}

await main();
process.exit(0);
