import { join } from 'node:path';
import { commandTopic, mwhAsKwhText } from '@umeme/protocol';
import { Fleet } from '@umeme/simulator';
import type { UmemeApp } from '../app';

/** Runs the demo meters in-process, over real MQTT to the broker, with state kept beside the data. */
export async function startDemoFleet(
  app: UmemeApp,
  credentials: { meterNo: string; secret: string }[],
): Promise<() => Promise<void>> {
  const dataDir = app.config.DATA_DIR === ':memory:' ? null : app.config.DATA_DIR;
  const fleet = new Fleet({
    url: app.mqttUrl,
    credentials,
    ...(dataDir ? { stateDir: join(dataDir, 'simulator') } : {}),
    publishIntervalMs: Math.round(app.config.DEMO_INTERVAL_S * 1000),
    lowBalanceMwh: 2_000_000,
    realtime: true,
    seed: 254,
    // On an external broker (shared, persistent) the demo leaves nothing retained behind.
    retainPresence: app.config.embeddedBroker,
    log: (line) => app.logger.debug({ part: 'simulator' }, line),
  });
  await fleet.start();
  const summary = setInterval(() => {
    void app.services.db
      .query<{ meter_no: string; balance: number; power_w: number | null; relay: string; status: string }>(
        `SELECT meter_no, credit_limit_mwh - energy_mwh AS balance, power_w, relay, status
           FROM meters WHERE meter_no = ANY($1::text[]) ORDER BY meter_no`,
        [credentials.map((c) => c.meterNo)],
      )
      .then(({ rows }) => {
        const line = rows
          .map(
            (r) =>
              `${r.meter_no} ${mwhAsKwhText(r.balance)} kWh ${r.power_w ?? 0} W relay ${r.relay} ${r.status}`,
          )
          .join(' | ');
        app.logger.info(`meters: ${line}`);
      })
      .catch(() => {});
  }, 10_000);
  summary.unref();
  return async () => {
    clearInterval(summary);
    await fleet.stop();
    if (app.config.embeddedBroker) return;
    // What the meters sent last (reports, statuses) may still be in ingest, and applying it can
    // republish a credit limit after commit (a meter coming online, a meter behind on C): let
    // ingest, its after-commit events and the publisher finish, clear, and do it once more for
    // anything that was still on its way. Bounded: about 5 s a round at most.
    for (let round = 0; round < 2; round++) {
      for (let waited = 0; app.services.ingest.pending > 0 && waited < 5_000; waited += 20) {
        await new Promise((r) => setTimeout(r, 20));
      }
      await new Promise((r) => setTimeout(r, 100));
      await app.services.publisher.idle();
      await clearRetainedCommands(app, credentials);
    }
  };
}

/** Empty retained payloads delete the demo meters' retained commands from an external broker. */
export async function clearRetainedCommands(
  app: UmemeApp,
  credentials: { meterNo: string }[],
): Promise<void> {
  await Promise.all(
    credentials.flatMap(({ meterNo }) =>
      (['balance', 'relay', 'config'] as const).map((kind) =>
        app.mqtt.publish(commandTopic(meterNo, kind), '', true).catch((err: unknown) => {
          app.logger.warn({ err, meterNo }, 'clearing a demo meter’s retained command failed');
        }),
      ),
    ),
  );
}
