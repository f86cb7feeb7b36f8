// Protects the one decision of how the server runs (issue 12): settings → mode, or the reasons it must not start.
import { describe, expect, it } from 'vitest';
import { loadConfig, testConfig } from './config';
import { resolveMode, SANDBOX_PASSKEY, type ModeSettings } from './mode';

const base: ModeSettings = { NODE_ENV: 'development', DARAJA_ENV: 'sandbox' };
const creds = { DARAJA_CONSUMER_KEY: 'ck', DARAJA_CONSUMER_SECRET: 'cs' };
const productionReady = {
  ...creds,
  NODE_ENV: 'production' as const,
  DARAJA_SHORTCODE: '600000',
  DARAJA_PASSKEY: 'own-passkey',
  PUBLIC_URL: 'https://umeme.example.org',
};

type Expected = { name: string; demo: boolean; payments: 'daraja' | 'emulator' } | { refused: string[] };

const TABLE: [string, Partial<ModeSettings>, Expected][] = [
  ['nothing set: the full demo', {}, { name: 'demo', demo: true, payments: 'emulator' }],
  [
    'DEMO=false alone: no payments, refused',
    { DEMO: false },
    { refused: ['DARAJA_CONSUMER_KEY: no payments backend'] },
  ],
  [
    'DEMO=false with DARAJA_EMULATOR=true: staging',
    { DEMO: false, DARAJA_EMULATOR: true },
    { name: 'staging', demo: false, payments: 'emulator' },
  ],
  [
    'DATABASE_URL turns the demo off, and without payments it is refused',
    { DATABASE_URL: 'postgres://x' },
    { refused: ['DARAJA_EMULATOR=true'] },
  ],
  [
    'MQTT_URL turns the demo off',
    { MQTT_URL: 'mqtt://x', DARAJA_EMULATOR: true },
    { name: 'staging', demo: false, payments: 'emulator' },
  ],
  [
    'DATABASE_URL with DEMO=true: the demo, asked for by name',
    { DATABASE_URL: 'postgres://x', DEMO: true },
    { name: 'demo', demo: true, payments: 'emulator' },
  ],
  [
    'Daraja credentials: development against Daraja, no demo',
    creds,
    { name: 'development', demo: false, payments: 'daraja' },
  ],
  [
    'Daraja credentials with DEMO=true: a demo paying through Daraja',
    { ...creds, DEMO: true },
    { name: 'demo', demo: true, payments: 'daraja' },
  ],
  [
    'a key without its secret',
    { DARAJA_CONSUMER_KEY: 'ck' },
    { refused: ['DARAJA_CONSUMER_SECRET: required when DARAJA_CONSUMER_KEY is set'] },
  ],
  [
    'a secret without its key',
    { DARAJA_CONSUMER_SECRET: 'cs', DARAJA_EMULATOR: true },
    { refused: ['DARAJA_CONSUMER_KEY: required when DARAJA_CONSUMER_SECRET is set'] },
  ],
  [
    'the emulator and credentials at once',
    { ...creds, DARAJA_EMULATOR: true },
    { refused: ['DARAJA_EMULATOR: must not be true when DARAJA_CONSUMER_KEY is set'] },
  ],
  [
    'the demo with DARAJA_EMULATOR=false and no credentials',
    { DARAJA_EMULATOR: false },
    { refused: ['DARAJA_EMULATOR: false leaves the demo without payments'] },
  ],
  ['production, complete', productionReady, { name: 'production', demo: false, payments: 'daraja' }],
  [
    'production with nothing else: every missing variable named',
    { NODE_ENV: 'production' },
    {
      refused: [
        'DARAJA_CONSUMER_KEY: required when NODE_ENV=production',
        'DARAJA_CONSUMER_SECRET: required when NODE_ENV=production',
        'DARAJA_SHORTCODE: required when NODE_ENV=production',
        'DARAJA_PASSKEY: required when NODE_ENV=production',
        'PUBLIC_URL: required when NODE_ENV=production',
      ],
    },
  ],
  [
    'production with DEMO=true',
    { ...productionReady, DEMO: true },
    { refused: ['DEMO: must not be true when NODE_ENV=production'] },
  ],
  [
    'production with DARAJA_EMULATOR=true',
    { ...productionReady, DARAJA_EMULATOR: true },
    { refused: ['DARAJA_EMULATOR: must not be true when NODE_ENV=production'] },
  ],
  [
    'production with DARAJA_EMULATOR=true instead of credentials',
    {
      NODE_ENV: 'production',
      DARAJA_EMULATOR: true,
      PUBLIC_URL: 'https://x.example',
      DARAJA_SHORTCODE: '600000',
      DARAJA_PASSKEY: 'p',
    },
    {
      refused: [
        'DARAJA_EMULATOR: must not be true when NODE_ENV=production',
        'DARAJA_CONSUMER_KEY: required when NODE_ENV=production',
      ],
    },
  ],
  [
    'the sandbox passkey against Daraja production',
    { ...productionReady, DARAJA_ENV: 'production', DARAJA_PASSKEY: SANDBOX_PASSKEY },
    { refused: ['DARAJA_PASSKEY: the sandbox passkey does not work with DARAJA_ENV=production'] },
  ],
  [
    'the sandbox passkey, set on purpose, with Daraja sandbox in production',
    { ...productionReady, DARAJA_PASSKEY: SANDBOX_PASSKEY },
    { name: 'production', demo: false, payments: 'daraja' },
  ],
  [
    'NODE_ENV=test with DEMO=false and the emulator: staging',
    { NODE_ENV: 'test', DEMO: false, DARAJA_EMULATOR: true },
    { name: 'staging', demo: false, payments: 'emulator' },
  ],
];

describe('resolveMode', () => {
  it.for(TABLE)('%s', ([, settings, expected]) => {
    const r = resolveMode({ ...base, ...settings });
    if ('refused' in expected) {
      expect(r.ok).toBe(false);
      const problems = r.ok ? [] : r.problems;
      for (const line of expected.refused)
        expect(
          problems.some((p) => p.startsWith(line) || p.includes(line)),
          `${line} in ${problems.join(' | ')}`,
        ).toBe(true);
    } else {
      expect(r.ok, r.ok ? '' : r.problems.join('\n')).toBe(true);
      if (r.ok) {
        expect({ name: r.mode.name, demo: r.mode.demo, payments: r.mode.payments }).toEqual(expected);
        expect(r.mode.reasons.length).toBeGreaterThan(0);
      }
    }
  });

  it('gives reasons that name settings but never their values', () => {
    const r = resolveMode({ ...base, ...productionReady, DATABASE_URL: 'postgres://user:pw-9f3@db/umeme' });
    expect(r.ok).toBe(true);
    const text = r.ok ? r.mode.reasons.join(' ') : '';
    expect(text).toContain('NODE_ENV=production');
    expect(text).toContain('DATABASE_URL');
    for (const secret of ['pw-9f3', 'ck', 'cs', 'own-passkey'])
      expect(text).not.toMatch(new RegExp(`\\b${secret}\\b`));
  });
});

describe('SMS (issue 18): the emulator only outside production, off in production without a key', () => {
  const sms = (settings: Partial<ModeSettings>) => {
    const r = resolveMode({ ...base, ...settings });
    return r.ok ? r.mode.sms : r.problems;
  };
  it.for([
    ['the demo', {}, 'emulator'],
    ['development with Daraja credentials', creds, 'emulator'],
    ['staging', { DEMO: false, DARAJA_EMULATOR: true }, 'emulator'],
    ['production without AT_API_KEY: off, never the emulator', productionReady, 'off'],
    [
      'production with a key',
      { ...productionReady, AT_USERNAME: 'umeme', AT_API_KEY: 'k', AT_ENVIRONMENT: 'production' },
      'africastalking',
    ],
    ['a sandbox key in development', { AT_USERNAME: 'sandbox', AT_API_KEY: 'k' }, 'africastalking'],
  ] as const)('%s → %s', ([, settings, expected]) => {
    expect(sms(settings)).toBe(expected);
  });

  it('refuses a key without its username, and the sandbox in production', () => {
    expect(sms({ AT_API_KEY: 'k' })).toEqual([expect.stringMatching(/^AT_USERNAME: required/)]);
    expect(sms({ ...productionReady, AT_USERNAME: 'umeme', AT_API_KEY: 'k' })).toEqual([
      expect.stringMatching(/^AT_ENVIRONMENT: must be production/),
    ]);
  });

  it('says at start-up which SMS gateway runs, without the key', () => {
    const r = resolveMode({ ...base, AT_USERNAME: 'umeme', AT_API_KEY: 'secret-at-key-77' });
    const text = r.ok ? r.mode.reasons.join(' ') : '';
    expect(text).toContain("SMS: Africa's Talking (sandbox)");
    expect(text).not.toContain('secret-at-key-77');
    const off = resolveMode({ ...base, ...productionReady });
    expect(off.ok && off.mode.reasons.join(' ')).toContain('SMS: off');
  });

  it('loadConfig parses quiet hours and refuses a bad window, naming the variable', () => {
    expect(loadConfig({}).SMS_QUIET_HOURS).toEqual({ startMinute: 1260, endMinute: 420 });
    expect(loadConfig({ SMS_QUIET_HOURS: 'off' }).SMS_QUIET_HOURS).toBeNull();
    expect(() => loadConfig({ SMS_QUIET_HOURS: '25:00-07:00' })).toThrow(/SMS_QUIET_HOURS/);
  });
});

describe('loadConfig and testConfig carry the mode', () => {
  it('loadConfig with nothing set runs the demo with the emulator and sandbox Daraja values', () => {
    const c = loadConfig({});
    expect(c.mode).toMatchObject({ name: 'demo', demo: true, payments: 'emulator' });
    expect(c.DARAJA_SHORTCODE).toBe('174379');
    expect(c.DARAJA_PASSKEY).toBe(SANDBOX_PASSKEY);
  });

  it('loadConfig refuses NODE_ENV=production alone, naming the variables', () => {
    expect(() => loadConfig({ NODE_ENV: 'production' })).toThrow(/DARAJA_CONSUMER_KEY[\s\S]*PUBLIC_URL/);
  });

  it('testConfig is staging by default and resolves overrides into a consistent mode', () => {
    expect(testConfig().mode).toMatchObject({ name: 'staging', demo: false, payments: 'emulator' });
    expect(testConfig({ DEMO: true }).mode).toMatchObject({ name: 'demo', payments: 'emulator' });
    expect(testConfig(creds).mode).toMatchObject({ name: 'development', payments: 'daraja' });
    expect(testConfig({ ...productionReady }).mode).toMatchObject({ name: 'production', payments: 'daraja' });
    expect(() => testConfig({ NODE_ENV: 'production' })).toThrow(/DARAJA_CONSUMER_KEY/);
    expect(() => testConfig({ ...productionReady, DEMO: true })).toThrow(/DEMO/);
  });
});
