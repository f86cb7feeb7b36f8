/**
 * Load generator for the ingest benchmark and the overload test, run as a child process so the server's process
 * measures its own capacity. Meters publish v2 reports at QoS 1 at a target total rate, with
 * a bounded number in flight per meter (a meter that cannot send keeps its latest total, as
 * the firmware does). Publish times go to the parent in batches so it can match commits.
 */
import { readFileSync } from 'node:fs';
import { LeanMqttClient } from './lean-mqtt';

interface Input {
  url: string;
  creds: { meterNo: string; secret: string }[];
  ratePerS: number;
  seconds: number;
  inflightPerMeter: number;
  connectConcurrency: number;
  /** log the publish time of one report in this many (1 = all): the parent matches each to its commit */
  logEvery?: number;
  /** seconds over which the rate climbs from zero to ratePerS before the `seconds` at full rate */
  rampS?: number;
  /** where each meter's register (mWh) and report sequence stand, for a second run on the same meters */
  startRegisters?: number[];
  startSeqs?: number[];
}

// The argument is the input as JSON, or the path of a file holding it (tests/helpers/generator-input.ts).
const arg = process.argv[2] ?? '{}';
const input = JSON.parse(arg.trimStart().startsWith('{') ? arg : readFileSync(arg, 'utf8')) as Input;

async function main(): Promise<void> {
  const clients: LeanMqttClient[] = new Array<LeanMqttClient>(input.creds.length);
  const broker = new URL(input.url);
  let next = 0;
  const connectOne = async (): Promise<void> => {
    while (next < input.creds.length) {
      const i = next++;
      const c = input.creds[i]!;
      clients[i] = await LeanMqttClient.connect({
        host: broker.hostname,
        port: Number(broker.port || 1883),
        clientId: c.meterNo,
        username: c.meterNo,
        password: c.secret,
        reconnectMs: 1000,
        keepaliveS: 60,
      });
    }
  };
  await Promise.all(Array.from({ length: input.connectConcurrency }, connectOne));
  process.send?.({ type: 'connected', meters: clients.length });

  const logEvery = Math.max(1, input.logEvery ?? 1);
  const registers = input.creds.map((_, i) => input.startRegisters?.[i] ?? 0);
  const seqs = input.creds.map((_, i) => input.startSeqs?.[i] ?? 0);
  const inflight = input.creds.map(() => 0);
  let log: [number, number, number][] = [];
  let sent = 0;
  let skipped = 0;
  const flush = setInterval(() => {
    if (log.length) process.send?.({ type: 'log', log });
    log = [];
  }, 50);
  const started = Date.now();
  const rampS = input.rampS ?? 0;
  const end = started + (rampS + input.seconds) * 1000;
  /** reports due by `t` seconds: a linear climb over the ramp, then the full rate */
  const dueBy = (t: number): number =>
    t < rampS
      ? (input.ratePerS * t * t) / (2 * rampS)
      : (input.ratePerS * rampS) / 2 + input.ratePerS * (t - rampS);
  let fullRate = rampS === 0;
  if (fullRate) process.send?.({ type: 'full_rate', sent: 0 });
  let cursor = 0;
  const tickMs = 10;
  while (Date.now() < end) {
    const t = (Date.now() - started) / 1000;
    if (!fullRate && t >= rampS) {
      fullRate = true;
      process.send?.({ type: 'full_rate', sent });
    }
    const due = Math.floor(dueBy(t));
    let budget = due - (sent + skipped);
    while (budget-- > 0) {
      const i = cursor;
      cursor = (cursor + 1) % clients.length;
      registers[i]! += 1000 + (i % 7);
      if (inflight[i]! >= input.inflightPerMeter) {
        skipped++;
        continue;
      }
      inflight[i]!++;
      seqs[i]!++;
      sent++;
      const meterNo = input.creds[i]!.meterNo;
      const mwh = registers[i]!;
      const payload = JSON.stringify({
        v: 2,
        meterNo,
        seq: seqs[i],
        energyTotal: mwh / 1e6,
        powerW: 420,
        relay: 'on',
        timestamp: Math.floor(Date.now() / 1000),
      });
      if (sent % logEvery === 0) log.push([i, mwh, Date.now()]);
      clients[i]!.publish(`smartmeter/${meterNo}/consumption`, payload, () => inflight[i]!--);
    }
    await new Promise((r) => setTimeout(r, tickMs));
  }
  clearInterval(flush);
  if (log.length) process.send?.({ type: 'log', log });
  const burstSent = sent;
  // The meters' next regular report carries their final totals.
  const deadline = Date.now() + 60_000;
  while (inflight.some((n) => n > 0) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
  await Promise.all(
    clients.map(
      (c, i) =>
        new Promise<void>((resolve) =>
          c.publish(
            `smartmeter/${input.creds[i]!.meterNo}/consumption`,
            JSON.stringify({
              v: 2,
              meterNo: input.creds[i]!.meterNo,
              seq: seqs[i]! + 1,
              energyTotal: registers[i]! / 1e6,
              timestamp: Math.floor(Date.now() / 1000),
            }),
            resolve,
          ),
        ),
    ),
  );
  // `seqs`: the last sequence number each meter used (its final report's).
  process.send?.({ type: 'done', sent: burstSent, skipped, registers, seqs: seqs.map((q) => q + 1) });
  await new Promise((r) => setTimeout(r, 500));
  await Promise.all(clients.map((c) => c.end()));
  process.exit(0);
}

void main();
