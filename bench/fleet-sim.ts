/**
 * PAY-8 in full (issue 16): `npm run sim:pay8`, and a scenario of `npm run bench`. A seeded
 * fleet simulation (tests/sim/fleet-sim.ts): 1,000 meters × 24 simulated hours, 5 % of reports
 * dropped, 5 % duplicated, some reordered, 3 broker and 3 server restarts; the database must
 * equal an independent model exactly. Needs PostgreSQL (DATABASE_URL, default the local one) and
 * the mosquitto binary. Exits 1 on any mismatch, printing the seed and the replay command.
 *
 *   npm run sim:pay8                          a random seed
 *   npm run sim:pay8 -- --seed 42 --meters 200 --hours 6
 */
import { parseArgs } from 'node:util';
import { mosquittoUnavailable } from '../tests/helpers/mosquitto';
import { runFleetSim } from '../tests/sim/fleet-sim';

const { values } = parseArgs({
  options: {
    seed: { type: 'string' },
    meters: { type: 'string', default: '1000' },
    hours: { type: 'string', default: '24' },
    restarts: { type: 'string', default: '3' },
    'step-minutes': { type: 'string', default: '15' },
    'step-ms': { type: 'string', default: '1000' },
  },
});

const unavailable = mosquittoUnavailable();
if (unavailable) {
  console.error(`PAY-8 needs Mosquitto: ${unavailable}`);
  process.exit(1);
}
const seed = values.seed !== undefined ? Number(values.seed) : Math.floor(Math.random() * 2 ** 31);
const args = `--seed ${seed} --meters ${values.meters} --hours ${values.hours} --restarts ${values.restarts} --step-minutes ${values['step-minutes']} --step-ms ${values['step-ms']}`;
const replayCommand = `npm run sim:pay8 -- ${args}`;
console.log(`PAY-8 seed ${seed} (replay: ${replayCommand})`);
const restarts = Number(values.restarts);
const r = await runFleetSim({
  seed,
  meters: Number(values.meters),
  simulatedHours: Number(values.hours),
  brokerRestarts: restarts,
  serverRestarts: restarts,
  stepMinutes: Number(values['step-minutes']),
  stepMs: Number(values['step-ms']),
  purchasesPerMeter: 1.5,
  databaseUrl: process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test',
  replayCommand,
});
const { mismatches, ...figures } = r;
console.log(
  `PAY-8: ${r.meters} meters × ${values.hours} h (${r.steps} steps), ${r.reportsSent} reports sent, ` +
    `${r.reportsDropped} dropped, ${r.reportsDuplicated} duplicated, ${r.reportsReordered} reordered, ` +
    `${r.purchasesAcknowledged} purchases, ${r.brokerRestarts} broker and ${r.serverRestarts.length} server ` +
    `restarts (${r.serverRestarts.map((s) => s.signal).join(', ')}); registers converged ` +
    `${String(r.convergedAfterS)} s after the last report; ${mismatches.length} meters differ from the model ` +
    `(${mismatches.length === 0 ? 'PASS' : 'FAIL'}); ${r.wallS.toFixed(0)} s in all`,
);
console.log(`RESULT ${JSON.stringify({ ...figures, mismatchCount: mismatches.length })}`);
process.exit(mismatches.length === 0 ? 0 : 1);
