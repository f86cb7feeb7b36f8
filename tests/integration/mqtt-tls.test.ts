// Protects MQTT over TLS on the embedded broker (issue 14): verified server certificate, plain MQTT off, ingest over TLS.
import mqtt from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../packages/server/src/config';
import { connectAsMeter, meterState, startTestApp, v2Report, waitFor, type TestApp } from '../helpers/app';
import { createTestPki, type TestPki } from '../helpers/test-ca';

describe('embedded broker over TLS with plain MQTT off', () => {
  let pki: TestPki;
  let t: TestApp;
  beforeAll(async () => {
    pki = createTestPki();
    t = await startTestApp('pglite', {
      MQTT_PLAIN: false,
      MQTT_TLS_PORT: 0,
      MQTT_TLS_CERT: pki.serverCert,
      MQTT_TLS_KEY: pki.serverKey,
    });
  });
  afterAll(async () => {
    await t?.close();
    pki?.remove();
  });

  it('serves meters on mqtts only, and a meter verifying the CA reports and gets its credit limit', async () => {
    expect(t.app.broker!.port).toBeNull();
    expect(t.mqttUrl).toBe(`mqtts://127.0.0.1:${t.app.broker!.tlsPort}`);
    const m = await t.newMeter({ openingCreditKwh: 2 });
    const c = await connectAsMeter(t.mqttUrl, m, {
      ca: pki.caPem,
      servername: 'localhost',
      rejectUnauthorized: true,
    });
    const limits: number[] = [];
    c.on('message', (_t, p) =>
      limits.push((JSON.parse(p.toString()) as { creditLimit: number }).creditLimit),
    );
    await c.subscribeAsync(`smartmeter/${m.meterNo}/command/#`, { qos: 1 });
    await waitFor(() => limits.includes(2), 'retained credit limit over TLS');
    await c.publishAsync(`smartmeter/${m.meterNo}/consumption`, v2Report(m.meterNo, 1, 0.5), { qos: 1 });
    await waitFor(async () => (await meterState(t, m.meterNo)).energy_mwh === 500_000, 'report applied');
    await t.creditKes(m.meterNo, 20);
    await waitFor(() => limits.includes(3), 'new credit limit over TLS');
    await c.endAsync();
  });

  it('is refused by a client that trusts another CA, or checks another name', async () => {
    const m = await t.newMeter();
    for (const tls of [
      { ca: pki.otherCaPem, servername: 'localhost' },
      { ca: pki.caPem, servername: 'mqtt.elsewhere.example' },
      {},
    ]) {
      await expect(
        mqtt.connectAsync(t.mqttUrl, {
          clientId: m.meterNo,
          username: m.meterNo,
          password: m.secret,
          reconnectPeriod: 0,
          connectTimeout: 5000,
          rejectUnauthorized: true,
          ...tls,
        }),
      ).rejects.toThrow(/certificate|altnames|self.signed|issuer/i);
    }
  });

  it('keeps the server’s loopback listener for the server alone', async () => {
    const m = await t.newMeter();
    const internal = t.app.mqtt.client.options;
    const url = `mqtt://127.0.0.1:${internal.port}`;
    expect(url).not.toBe(t.mqttUrl);
    await expect(
      mqtt.connectAsync(url, {
        clientId: m.meterNo,
        username: m.meterNo,
        password: m.secret,
        reconnectPeriod: 0,
        connectTimeout: 5000,
      }),
    ).rejects.toThrow(/Not authorized/);
    expect(t.app.mqtt.connected).toBe(true);
  });

  it('refuses settings that would leave meters without a listener or half a key pair', () => {
    const base = { NODE_ENV: 'test', DEMO: 'false', DARAJA_EMULATOR: 'true' };
    expect(() => loadConfig({ ...base, MQTT_PLAIN: 'false' })).toThrow(/MQTT_PLAIN/);
    expect(() => loadConfig({ ...base, MQTT_TLS_CERT: '/x.crt' })).toThrow(/MQTT_TLS_KEY/);
    expect(() => loadConfig({ ...base, MQTT_TLS_PORT: '8883' })).toThrow(/MQTT_TLS_PORT/);
    expect(() =>
      loadConfig({ NODE_ENV: 'test', MQTT_PLAIN: 'false', MQTT_TLS_CERT: '/a', MQTT_TLS_KEY: '/b' }),
    ).toThrow(/DEMO=false/);
    expect(() => loadConfig({ ...base, MQTT_URL: 'mqtt://h', MQTT_TLS_CA: '/ca.crt' })).toThrow(/mqtts/);
    expect(() =>
      loadConfig({ ...base, MQTT_TLS_CERT: '/a', MQTT_TLS_KEY: '/b', MQTT_PLAIN: 'false' }),
    ).not.toThrow();
  });
});
