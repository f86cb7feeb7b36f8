// Protects the machine's shared Mosquitto (MQTT_URL): a test app or benchmark on it leaves no
// retained message behind when it closes, though every meter's limit is a retained command/balance.
import { randomBytes } from 'node:crypto';
import mqtt from 'mqtt';
import { describe, expect, it } from 'vitest';
import { commandTopic } from '@umeme/protocol';
import { SYSTEM } from '../../packages/server/src/shared/access';
import { startTestApp, waitFor } from '../helpers/app';

const sharedBroker = process.env.MQTT_URL;

/**
 * What the broker holds retained on `topic`: a fresh subscription gets it before anything
 * published after the subscription, so a marker published then on the client's own topic tells
 * when nothing retained is coming.
 */
async function retainedOn(url: string, topic: string): Promise<string | null> {
  const client = await mqtt.connectAsync(url, { clean: true, reconnectPeriod: 0 });
  try {
    const marker = `umeme-test/marker/${randomBytes(6).toString('hex')}`;
    let retained: string | null = null;
    const done = new Promise<void>((resolve) => {
      client.on('message', (t, payload, packet) => {
        if (t === topic && packet.retain && payload.length > 0) retained = payload.toString();
        if (t === marker) resolve();
      });
    });
    await client.subscribeAsync([topic, marker], { qos: 1 });
    await client.publishAsync(marker, 'x', { qos: 1 });
    await done;
    return retained;
  } finally {
    await client.endAsync();
  }
}

describe.skipIf(sharedBroker === undefined)('a test app on the machine’s shared broker', () => {
  it('clears its meters’ retained limits when it closes', async () => {
    const t = await startTestApp('pglite', { MQTT_URL: sharedBroker, embeddedBroker: false });
    const meterNo = `SB${randomBytes(4).toString('hex')}`.toUpperCase();
    const topic = commandTopic(meterNo, 'balance');
    try {
      await t.app.services.meters.register(SYSTEM, { meterNo, openingCreditKwh: 5 });
      // the limit is there while the app runs (what makes the check below able to fail)
      const limit = await waitFor(() => retainedOn(sharedBroker!, topic), 'the retained limit');
      expect((JSON.parse(limit) as { creditLimit: number }).creditLimit).toBe(5);
    } finally {
      await t.close();
    }
    expect(await retainedOn(sharedBroker!, topic)).toBeNull();
  });
});
