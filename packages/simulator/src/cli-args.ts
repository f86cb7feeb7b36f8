import { parseArgs } from 'node:util';
import { z } from 'zod';
import { kwhToMwh } from '@umeme/protocol';
import { DEFAULT_STATE_DIR } from './fleet';
import {
  DEFAULT_CONNECT_CONCURRENCY,
  MAX_CONNECT_CONCURRENCY,
  MAX_METERS,
  MAX_PUBLISH_INTERVAL_MS,
} from './limits';

/** Command-line parsing for `npm run sim`: node:util parseArgs for the shape, zod for the values. */

export const USAGE = `Usage: npm run sim -- [options]

Credentials (one of):
  --credentials FILE          JSON [{meterNo, secret}] (or the server's {meterNo, mqttPassword})
  --meter-prefix P --secret-file FILE
                              meters P00001…P<N>, all with the secret in FILE
  --server URL --admin-email E --admin-password P
                              register N meters (P00001…) through the server's HTTP API first;
                              issued secrets are cached in the state dir

Options:
  --meters N                  number of meters (default: every meter in --credentials, else 3)
  --interval S                seconds between consumption reports (default 5)
  --url URL                   MQTT broker (default mqtt://127.0.0.1:1883)
  --seed N                    seed for households and faults (default 42)
  --state-dir DIR             where registers persist (default ${DEFAULT_STATE_DIR})
  --legacy                    publish the original firmware payload
  --duplicate-rate R          probability a report is sent twice (0–1)
  --reorder-rate R            probability a report is held back one place (0–1)
  --drop-every N              skip every Nth report (0 = never)
  --opening-credit-kwh K      opening credit when registering with --server (default 10)
  --emergency-credit-kwh K    emergency credit until the server configures it (default 0)
  --connect-concurrency N     connections in progress at once (default ${DEFAULT_CONNECT_CONCURRENCY})
  --summary-interval S        seconds between summary lines (default 10)
  -h, --help                  show this help`;

export class CliUsageError extends Error {}

/** Numbers arrive as text; z.coerce would read '' as 0, so the text must look like a number first. */
const numeric = (inner: z.ZodNumber) =>
  z
    .string()
    .trim()
    .regex(/^[+-]?(\d+\.?\d*|\.\d+)(e[+-]?\d+)?$/i, 'must be a number')
    .transform(Number)
    .pipe(inner);
const count = (max: number) => numeric(z.number().int().min(1).max(max));
const rate = numeric(z.number().min(0).max(1));

const cliSchema = z
  .object({
    meters: count(MAX_METERS).optional(),
    interval: count(MAX_PUBLISH_INTERVAL_MS / 1_000).default(5),
    url: z
      .string()
      .regex(/^(mqtts?|wss?|tcp):\/\/[^\s]+$/, 'must look like mqtt://host:port')
      .default('mqtt://127.0.0.1:1883'),
    credentials: z.string().min(1).optional(),
    'meter-prefix': z
      .string()
      .regex(/^[A-Za-z0-9_-]{1,7}$/, '1–7 letters, digits, - or _')
      .optional(),
    'secret-file': z.string().min(1).optional(),
    server: z.url({ protocol: /^https?$/ }).optional(),
    'admin-email': z.string().min(1).optional(),
    'admin-password': z.string().min(1).optional(),
    'opening-credit-kwh': numeric(z.number().min(0).max(1_000_000)).default(10),
    'emergency-credit-kwh': numeric(z.number().min(0).max(1_000)).default(0),
    'duplicate-rate': rate.default(0),
    'reorder-rate': rate.default(0),
    'drop-every': numeric(z.number().int().min(0).max(1_000_000)).default(0),
    legacy: z.boolean().default(false),
    seed: numeric(z.number().int().min(0).max(0xffffffff)).default(42),
    'state-dir': z.string().min(1).default(DEFAULT_STATE_DIR),
    'connect-concurrency': count(MAX_CONNECT_CONCURRENCY).default(DEFAULT_CONNECT_CONCURRENCY),
    'summary-interval': count(3_600).default(10),
  })
  .strict();

export type CredentialSource =
  | { kind: 'file'; path: string }
  | { kind: 'prefix'; prefix: string; secretFile: string }
  | { kind: 'server'; serverUrl: string; adminEmail: string; adminPassword: string; prefix: string };

export interface CliConfig {
  help: boolean;
  meters: number | undefined;
  publishIntervalMs: number;
  url: string;
  source: CredentialSource;
  openingCreditKwh: number;
  emergencyCreditMwh: number;
  duplicateRate: number;
  reorderRate: number;
  dropEvery: number;
  legacy: boolean;
  seed: number;
  stateDir: string;
  connectConcurrency: number;
  summaryIntervalMs: number;
}

const stringOptions = [
  'meters',
  'interval',
  'url',
  'credentials',
  'meter-prefix',
  'secret-file',
  'server',
  'admin-email',
  'admin-password',
  'opening-credit-kwh',
  'emergency-credit-kwh',
  'duplicate-rate',
  'reorder-rate',
  'drop-every',
  'seed',
  'state-dir',
  'connect-concurrency',
  'summary-interval',
] as const;

/** Throws CliUsageError with a message naming the bad option. */
export function parseCliArgs(argv: readonly string[]): CliConfig {
  let values: Record<string, string | boolean | undefined>;
  try {
    ({ values } = parseArgs({
      args: [...argv],
      options: {
        ...Object.fromEntries(stringOptions.map((name) => [name, { type: 'string' as const }])),
        legacy: { type: 'boolean' },
        help: { type: 'boolean', short: 'h' },
      },
      strict: true,
      allowPositionals: false,
    }));
  } catch (error) {
    throw new CliUsageError((error as Error).message);
  }
  const { help, ...rest } = values;
  if (help === true) return { ...defaults(), help: true };

  const parsed = cliSchema.safeParse(rest);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const option = issue?.path[0];
    throw new CliUsageError(
      option === undefined
        ? (issue?.message ?? 'invalid arguments')
        : `--${String(option)}: ${issue?.message ?? 'invalid'}`,
    );
  }
  const o = parsed.data;

  let source: CredentialSource;
  if (o.server !== undefined) {
    if (o['admin-email'] === undefined || o['admin-password'] === undefined) {
      throw new CliUsageError('--server needs --admin-email and --admin-password');
    }
    if (o.credentials !== undefined)
      throw new CliUsageError('use either --server or --credentials, not both');
    source = {
      kind: 'server',
      serverUrl: o.server,
      adminEmail: o['admin-email'],
      adminPassword: o['admin-password'],
      prefix: o['meter-prefix'] ?? 'SIM',
    };
  } else if (o.credentials !== undefined) {
    if (o['meter-prefix'] !== undefined || o['secret-file'] !== undefined) {
      throw new CliUsageError('use either --credentials or --meter-prefix/--secret-file, not both');
    }
    source = { kind: 'file', path: o.credentials };
  } else if (o['secret-file'] !== undefined) {
    source = { kind: 'prefix', prefix: o['meter-prefix'] ?? 'SIM', secretFile: o['secret-file'] };
  } else {
    throw new CliUsageError(
      'no credentials: give --credentials FILE, --meter-prefix P --secret-file FILE, or --server URL',
    );
  }

  return {
    help: false,
    meters: o.meters,
    publishIntervalMs: o.interval * 1_000,
    url: o.url,
    source,
    openingCreditKwh: o['opening-credit-kwh'],
    emergencyCreditMwh: kwhToMwh(o['emergency-credit-kwh']),
    duplicateRate: o['duplicate-rate'],
    reorderRate: o['reorder-rate'],
    dropEvery: o['drop-every'],
    legacy: o.legacy,
    seed: o.seed,
    stateDir: o['state-dir'],
    connectConcurrency: o['connect-concurrency'],
    summaryIntervalMs: o['summary-interval'] * 1_000,
  };
}

function defaults(): CliConfig {
  return {
    help: false,
    meters: undefined,
    publishIntervalMs: 5_000,
    url: 'mqtt://127.0.0.1:1883',
    source: { kind: 'file', path: '' },
    openingCreditKwh: 10,
    emergencyCreditMwh: 0,
    duplicateRate: 0,
    reorderRate: 0,
    dropEvery: 0,
    legacy: false,
    seed: 42,
    stateDir: DEFAULT_STATE_DIR,
    connectConcurrency: DEFAULT_CONNECT_CONCURRENCY,
    summaryIntervalMs: 10_000,
  };
}
