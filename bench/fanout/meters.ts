/**
 * MQTT meters for the fan-out benchmark, run as a child process. Each meter reports its
 * register every `intervalMs`, phases spread evenly, and logs [meterNo, energyMwh, publishedAtMs].
 */
import mqtt, { type MqttClient } from 'mqtt';

interface Start {
  type: 'start';
  url: string;
  creds: { meterNo: string; secret: string }[];
  intervalMs: number;
  seconds: number;
}

const nowMs = (): number => performance.timeOrigin + performance.now();

process.once('message', (m: Start) => {
  void run(m);
});

async function run(m: Start): Promise<void> {
  const clients: MqttClient[] = [];
  let next = 0;
  const connectOne = async (): Promise<void> => {
    while (next < m.creds.length) {
      const c = m.creds[next++]!;
      const client = await mqtt.connectAsync(m.url, {
        clientId: c.meterNo,
        username: c.meterNo,
        password: c.secret,
        reconnectPeriod: 1000,
        keepalive: 60,
      });
      client.on('error', () => {});
      clients.push(client);
    }
  };
  await Promise.all(Array.from({ length: 50 }, connectOne));
  process.send?.({ type: 'connected', meters: clients.length });

  const n = m.creds.length;
  const registers = m.creds.map(() => 0);
  const seqs = m.creds.map(() => 0);
  const published: [string, number, number][] = [];
  let unacked = 0;
  const started = nowMs();
  const end = started + m.seconds * 1000;
  // Meter i reports at started + i/n·interval + k·interval.
  const due = m.creds.map((_, i) => started + (i / n) * m.intervalMs);
  while (nowMs() < end) {
    const now = nowMs();
    for (let i = 0; i < n; i++) {
      if (due[i]! > now) continue;
      due[i]! += m.intervalMs;
      const meterNo = m.creds[i]!.meterNo;
      registers[i]! += 1000 + (i % 7);
      seqs[i]!++;
      const payload = JSON.stringify({
        v: 2,
        meterNo,
        seq: seqs[i],
        energyTotal: registers[i]! / 1e6,
        powerW: 420,
        relay: 'on',
        timestamp: Math.floor(Date.now() / 1000),
      });
      unacked++;
      published.push([meterNo, registers[i]!, nowMs()]);
      clients[i]!.publish(`smartmeter/${meterNo}/consumption`, payload, { qos: 1 }, () => unacked--);
    }
    await new Promise((r) => setTimeout(r, 2));
  }
  const deadline = Date.now() + 10_000;
  while (unacked > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
  process.send?.({ type: 'result', published, unacked }, () => {
    void Promise.all(clients.map((c) => c.endAsync(true))).finally(() => process.exit(0));
  });
}
