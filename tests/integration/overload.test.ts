// MQ-11: meters publishing faster than ingest can apply stay bounded, the server stays responsive and nothing is lost.
import { fork } from 'node:child_process';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { meterState, startTestApp, waitFor, type TestApp } from '../helpers/app';
import { writeGeneratorInput } from '../helpers/generator-input';

const BURST_S = Number(process.env.MQ11_SECONDS ?? 10);
const METERS = 200;

describe('overload (MQ-11)', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp('pglite', { INGEST_QUEUE_HIGH_WATER: 2000 });
  });
  afterAll(async () => {
    await t?.close();
  });

  it('keeps memory bounded and /health answering during a burst, then drains to exact balances', async () => {
    const meters = await Promise.all(
      Array.from({ length: METERS }, () => t.newMeter({ openingCreditKwh: 1000 })),
    );
    const applied = async () =>
      (await t.app.metrics.ingestReports.get()).values.find((v) => v.labels.outcome === 'applied')?.value ??
      0;
    // The generator runs in its own process and offers far more than one core of ingest applies.
    const child = fork(
      join(import.meta.dirname, '..', 'helpers', 'load-generator.ts'),
      [
        writeGeneratorInput({
          url: t.mqttUrl,
          creds: meters,
          ratePerS: 40_000,
          seconds: BURST_S,
          inflightPerMeter: 20,
          connectConcurrency: 20,
        }),
      ],
      { execArgv: ['--import', 'tsx'] },
    );
    let burst = false;
    let appliedAtStart = 0;
    let appliedAtEnd = 0;
    const rssStart = process.memoryUsage().rss;
    let rssMax = rssStart;
    let healthMaxMs = 0;
    let healthFailures = 0;
    let probes = 0;
    const probing = (async () => {
      while (!burst) await new Promise((r) => setTimeout(r, 50));
      while (burst) {
        const started = Date.now();
        // Answering at all is the property: how fast also measures the other suites sharing
        // this machine, so the latency is reported, not asserted.
        const ok = await fetch(`${t.url}/health`, { signal: AbortSignal.timeout(10_000) })
          .then((r) => r.ok)
          .catch(() => false);
        probes++;
        if (!ok) healthFailures++;
        healthMaxMs = Math.max(healthMaxMs, Date.now() - started);
        rssMax = Math.max(rssMax, process.memoryUsage().rss);
        await new Promise((r) => setTimeout(r, 200));
      }
    })();
    const result = await new Promise<{ sent: number; skipped: number; registers: number[] }>(
      (resolve, reject) => {
        child.on('message', (m: { type: string }) => {
          if (m.type === 'connected') {
            burst = true;
            void applied().then((v) => (appliedAtStart = v));
            setTimeout(() => {
              burst = false;
              void applied().then((v) => (appliedAtEnd = v));
            }, BURST_S * 1000);
          } else if (m.type === 'done')
            resolve(m as unknown as { sent: number; skipped: number; registers: number[] });
        });
        child.on('exit', (code) => code && reject(new Error(`generator exited ${code}`)));
      },
    );
    await probing;
    const offered = result.sent + result.skipped;
    const appliedInBurst = appliedAtEnd - appliedAtStart;
    for (let i = 0; i < METERS; i++) {
      const want = result.registers[i]!;
      await new Promise<void>((resolve, reject) => {
        const deadline = Date.now() + 60_000;
        const check = async () => {
          const s = await meterState(t, meters[i]!.meterNo);
          if (s.energy_mwh === want) return resolve();
          if (Date.now() > deadline) return reject(new Error(`meter ${i}: ${s.energy_mwh} != ${want}`));
          setTimeout(() => void check(), 50);
        };
        void check();
      });
    }
    const summary = {
      burstS: BURST_S,
      offeredPerS: Math.round(offered / BURST_S),
      sentPerS: Math.round(result.sent / BURST_S),
      appliedPerS: Math.round(appliedInBurst / BURST_S),
      rssGrowthMb: Math.round((rssMax - rssStart) / 1e6),
      healthMaxMs,
      probes,
    };
    console.log('MQ-11', JSON.stringify(summary));
    expect(offered).toBeGreaterThan(2 * appliedInBurst);
    expect(probes).toBeGreaterThan(BURST_S);
    expect(healthFailures).toBe(0);
    // This process holds the server and the test runner: its growth is measured at 200–305 MB
    // on this machine, GC timing making most of the spread. Without back-pressure the 400,000
    // reports offered would be buffered whole, far past this bound.
    expect(rssMax - rssStart).toBeLessThan(450e6);
    // Every register is exact; copies of reports still on their way (QoS 1 redeliveries of
    // what was acknowledged late) drain as no-ops.
    await waitFor(() => t.app.services.ingest.pending === 0, 'the ingest queue to drain', 30_000);
    const after = await Promise.all(meters.map((m) => meterState(t, m.meterNo)));
    expect(after.map((s) => s.energy_mwh)).toEqual(result.registers.slice(0, METERS));
  }, 180_000);
});
