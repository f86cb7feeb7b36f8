import type { UmemeApp } from '../app';
import { SYSTEM } from '../shared/access';

export const DEMO_ADMIN = { email: 'admin@umeme.local', password: 'umeme-admin', name: 'Demo Operator' };
export const DEMO_CUSTOMER = {
  email: 'wanjiku@umeme.local',
  password: 'umeme-demo',
  name: 'Wanjiku Kamau',
  phone: '254712345678',
};

/**
 * Demo mode: a demo operator and customer, and simulated meters that speak real MQTT to
 * the broker with their own credentials. Returns a function that stops the meters.
 */
export async function startDemo(app: UmemeApp): Promise<() => Promise<void>> {
  const { auth, meters } = app.services;
  await auth.ensureUser({ ...DEMO_ADMIN, role: 'admin' });
  const customerId = await auth.ensureUser({ ...DEMO_CUSTOMER, role: 'customer' });
  const count = app.config.DEMO_METERS;
  const creds: { meterNo: string; secret: string }[] = [];
  for (let i = 1; i <= count; i++) {
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
      `  Customer: ${DEMO_CUSTOMER.email} / ${DEMO_CUSTOMER.password}\n` +
      `  Operator: ${DEMO_ADMIN.email} / ${DEMO_ADMIN.password}\n` +
      `  MQTT broker: ${app.mqttUrl} (${creds.length} simulated meters)\n`,
  );
  return stop;
}
