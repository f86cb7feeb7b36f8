/**
 * The one place that decides how this server runs: the demo or not, and whether payments go to
 * Safaricom's Daraja or to the built-in emulator. Pure: it reads settings already parsed by
 * `config.ts` and returns the mode, or the list of reasons it must not start (fail closed).
 */

/** Safaricom's published sandbox passkey for shortcode 174379: not a secret. */
export const SANDBOX_PASSKEY = 'bfb279f9aa9bdbcf158e97dd71a467cd2e0c893059b10f78e6b72ada1ed2c919';
/** Safaricom's sandbox shortcode, the default outside production. */
export const SANDBOX_SHORTCODE = '174379';

export type ModeName = 'demo' | 'staging' | 'production' | 'development';

export interface Mode {
  /**
   * demo: demo accounts, simulated meters, the emulator's virtual phone and the demo top-up;
   * production: NODE_ENV=production (real Daraja only); staging: the emulator serves payments
   * without the demo; development: anything else (e.g. Daraja's sandbox on a laptop).
   */
  name: ModeName;
  demo: boolean;
  payments: 'daraja' | 'emulator';
  /**
   * SMS and USSD (issue 18): Africa's Talking with an API key; the built-in emulator without one,
   * outside production only; off in production without a key (never the emulator there).
   */
  sms: 'africastalking' | 'emulator' | 'off';
  /** Why, in words an operator can check against their settings; never a secret. */
  reasons: string[];
}

/** The settings the mode depends on, as parsed (no defaults applied to the Daraja ones). */
export interface ModeSettings {
  NODE_ENV: 'development' | 'production' | 'test';
  DEMO?: boolean | undefined;
  DATABASE_URL?: string | undefined;
  MQTT_URL?: string | undefined;
  PUBLIC_URL?: string | undefined;
  DARAJA_ENV: 'sandbox' | 'production';
  DARAJA_CONSUMER_KEY?: string | undefined;
  DARAJA_CONSUMER_SECRET?: string | undefined;
  DARAJA_SHORTCODE?: string | undefined;
  DARAJA_PASSKEY?: string | undefined;
  DARAJA_EMULATOR?: boolean | undefined;
  AT_USERNAME?: string | undefined;
  AT_API_KEY?: string | undefined;
  AT_ENVIRONMENT?: 'sandbox' | 'production' | undefined;
}

type ModeResolution = { ok: true; mode: Mode } | { ok: false; problems: string[] };

/** Settings that only a real deployment has: any of them turns the demo off unless DEMO=true. */
export function productionSignals(s: ModeSettings): string[] {
  const signals: string[] = [];
  if (s.NODE_ENV === 'production') signals.push('NODE_ENV=production');
  if (s.DATABASE_URL !== undefined) signals.push('DATABASE_URL is set');
  if (s.MQTT_URL !== undefined) signals.push('MQTT_URL is set');
  if (s.DARAJA_CONSUMER_KEY !== undefined || s.DARAJA_CONSUMER_SECRET !== undefined)
    signals.push('Daraja credentials are set');
  return signals;
}

/**
 * Resolves the mode, or lists every reason the settings must not run. Each problem is one line
 * starting with the variable it is about.
 */
export function resolveMode(s: ModeSettings): ModeResolution {
  const problems: string[] = [];
  const production = s.NODE_ENV === 'production';
  const signals = productionSignals(s);
  const demo = s.DEMO ?? signals.length === 0;
  const reasons: string[] = [];
  if (s.DEMO !== undefined) reasons.push(`DEMO=${s.DEMO}`);
  else if (demo) reasons.push('DEMO unset and no production setting: the demo runs');
  else reasons.push('DEMO unset and a production setting present: no demo');
  reasons.push(...signals);

  if (production && demo) {
    problems.push('DEMO: must not be true when NODE_ENV=production (the demo has well-known passwords)');
  }
  const hasKey = s.DARAJA_CONSUMER_KEY !== undefined;
  const hasSecret = s.DARAJA_CONSUMER_SECRET !== undefined;
  if (hasKey && !hasSecret) problems.push('DARAJA_CONSUMER_SECRET: required when DARAJA_CONSUMER_KEY is set');
  if (hasSecret && !hasKey) problems.push('DARAJA_CONSUMER_KEY: required when DARAJA_CONSUMER_SECRET is set');
  const credentials = hasKey && hasSecret;

  if (s.DARAJA_EMULATOR === true && production) {
    problems.push('DARAJA_EMULATOR: must not be true when NODE_ENV=production (it approves every payment)');
  }
  if (s.DARAJA_EMULATOR === true && credentials) {
    problems.push(
      'DARAJA_EMULATOR: must not be true when DARAJA_CONSUMER_KEY is set; choose the emulator or Daraja',
    );
  }

  let payments: Mode['payments'] | null = null;
  if (credentials) {
    payments = 'daraja';
    reasons.push(`payments: Daraja (${s.DARAJA_ENV}), credentials set`);
  } else if (s.DARAJA_EMULATOR === true && !production) {
    payments = 'emulator';
    reasons.push('payments: the built-in emulator, DARAJA_EMULATOR=true');
  } else if (demo && s.DARAJA_EMULATOR !== false && !production) {
    payments = 'emulator';
    reasons.push('payments: the built-in emulator, for the demo');
  }

  if (production) {
    const missing: string[] = [];
    if (!hasKey) missing.push('DARAJA_CONSUMER_KEY');
    if (!hasSecret) missing.push('DARAJA_CONSUMER_SECRET');
    if (s.DARAJA_SHORTCODE === undefined) missing.push('DARAJA_SHORTCODE');
    if (s.DARAJA_PASSKEY === undefined) missing.push('DARAJA_PASSKEY');
    if (s.PUBLIC_URL === undefined) missing.push('PUBLIC_URL');
    for (const name of missing) {
      problems.push(
        name === 'PUBLIC_URL'
          ? 'PUBLIC_URL: required when NODE_ENV=production (Daraja calls back to it)'
          : `${name}: required when NODE_ENV=production (payments go to Safaricom's Daraja)`,
      );
    }
    if (s.DARAJA_ENV === 'production' && s.DARAJA_PASSKEY === SANDBOX_PASSKEY) {
      problems.push(
        'DARAJA_PASSKEY: the sandbox passkey does not work with DARAJA_ENV=production; set your own',
      );
    }
  } else if (payments === null && !(hasKey || hasSecret)) {
    problems.push(
      s.DARAJA_EMULATOR === false && demo
        ? 'DARAJA_EMULATOR: false leaves the demo without payments; set Daraja credentials or leave it unset'
        : 'DARAJA_CONSUMER_KEY: no payments backend; set DARAJA_CONSUMER_KEY and DARAJA_CONSUMER_SECRET ' +
            "for Safaricom's Daraja, or DARAJA_EMULATOR=true to use the built-in emulator for staging",
    );
  }

  const sms = resolveSms(s, production, problems);
  reasons.push(
    sms === 'africastalking'
      ? `SMS: Africa's Talking (${s.AT_ENVIRONMENT ?? 'sandbox'}), AT_API_KEY set`
      : sms === 'emulator'
        ? "SMS: the built-in Africa's Talking emulator, AT_API_KEY unset outside production"
        : 'SMS: off, AT_API_KEY unset in production (no SMS is sent, USSD is closed)',
  );

  if (problems.length > 0 || payments === null) return { ok: false, problems };
  const name: ModeName = demo
    ? 'demo'
    : production
      ? 'production'
      : payments === 'emulator'
        ? 'staging'
        : 'development';
  return { ok: true, mode: { name, demo, payments, sms, reasons } };
}

/** Africa's Talking with a key; without one the emulator outside production, nothing in it. */
function resolveSms(s: ModeSettings, production: boolean, problems: string[]): Mode['sms'] {
  if (s.AT_API_KEY !== undefined) {
    if (s.AT_USERNAME === undefined) problems.push('AT_USERNAME: required when AT_API_KEY is set');
    if (production && s.AT_ENVIRONMENT !== 'production' && s.AT_USERNAME !== undefined) {
      problems.push(
        'AT_ENVIRONMENT: must be production when NODE_ENV=production (the sandbox delivers no SMS)',
      );
    }
    return 'africastalking';
  }
  return production ? 'off' : 'emulator';
}
