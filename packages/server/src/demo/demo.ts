import type { UmemeApp } from '../app';
import { SYSTEM } from '../shared/access';
import { DEMO_ADMIN, DEMO_CUSTOMER } from './demo-accounts';

/**
 * Demo mode: a demo operator and customer, and simulated meters that speak real MQTT to
 * the broker with their own credentials. Returns a function that stops the meters.
 */
export async function startDemo(app: UmemeApp): Promise<() => Promise<void>> {
  if (!app.config.mode.demo) throw new Error('startDemo outside demo mode');
  const { auth, meters } = app.services;
  const adminId = await auth.ensureDemoUser({ ...DEMO_ADMIN, role: 'admin' });
  const customerId = await auth.ensureDemoUser({ ...DEMO_CUSTOMER, role: 'customer' });
  for (const [account, id] of [
    [DEMO_ADMIN, adminId],
    [DEMO_CUSTOMER, customerId],
  ] as const) {
    if (id === null) {
      app.logger.warn(
        { email: account.email },
        'an account the demo did not create has this demo email: left as it is, without the demo password',
      );
    }
  }
  // The demo's meters belong to its customer; never to an account that only shares the email.
  const count = app.config.DEMO_METERS;
  const creds: { meterNo: string; secret: string }[] = [];
  for (let i = 1; customerId !== null && i <= count; i++) {
    const meterNo = `DEMO-${String(i).padStart(3, '0')}`;
    try {
      const r = await meters.register(SYSTEM, {
        meterNo,
        userId: customerId,
        openingCreditKwh: i === 3 ? 0.05 : 25,
        lowBalanceKwh: 2,
      });
      creds.push({ meterNo, secret: r.mqttPassword });
    } catch {
      // Already registered in an earlier run: issue a fresh secret for this run's simulator.
      const r = await meters.rotateSecret(SYSTEM, meterNo);
      creds.push({ meterNo, secret: r.mqttPassword });
    }
  }
  const { startDemoFleet } = await import('./demo-fleet');
  const stop = await startDemoFleet(app, creds);
  app.logger.info(
    `\n  Umeme demo is running at ${app.httpUrl}\n` +
      (customerId === null ? '' : `  Customer: ${DEMO_CUSTOMER.email} / ${DEMO_CUSTOMER.password}\n`) +
      (adminId === null ? '' : `  Operator: ${DEMO_ADMIN.email} / ${DEMO_ADMIN.password}\n`) +
      `  MQTT broker: ${app.mqttUrl} (${creds.length} simulated meters)\n`,
  );
  return stop;
}
