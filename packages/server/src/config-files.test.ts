// Protects secrets from files: X_FILE sets X from a compose/Kubernetes secret, and a mistake names the variable, never the value.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { CONFIG_KEYS, ConfigError, loadConfig, resolveFileVariables } from './config';

const SECRET = 'a-jwt-secret-that-is-long-enough-0123456789';

describe('secrets from files (X_FILE)', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'umeme-config-'));
  });
  afterEach(() => {
    rmSync(dir, { recursive: true, force: true });
  });

  function secretFile(name: string, content: string): string {
    const path = join(dir, name);
    writeFileSync(path, content, { mode: 0o600 });
    return path;
  }

  function configError(env: Record<string, string>): string {
    try {
      loadConfig(env);
    } catch (err) {
      expect(err).toBeInstanceOf(ConfigError);
      return (err as Error).message;
    }
    throw new Error('loadConfig accepted the configuration');
  }

  it('lists every variable the schema accepts', () => {
    for (const key of [
      'JWT_SECRET',
      'DATABASE_URL',
      'MQTT_URL',
      'REDIS_URL',
      'DARAJA_PASSKEY',
      'INSTANCE_ID',
    ]) {
      expect(CONFIG_KEYS).toContain(key);
    }
    expect(CONFIG_KEYS.some((key) => key.endsWith('_FILE'))).toBe(false);
  });

  it('reads the value from the file, without its trailing newline', () => {
    const config = loadConfig({
      JWT_SECRET_FILE: secretFile('jwt', `${SECRET}\n`),
      DATABASE_URL_FILE: secretFile('db', 'postgres://umeme:pw@db:5432/umeme\r\n'),
      MQTT_SERVER_PASSWORD_FILE: secretFile('mqtt', 'sixteen-chars-or-more'),
      // DATABASE_URL turns the demo off: payments then need a backend (see mode.ts)
      DARAJA_EMULATOR: 'true',
    });
    expect(config.JWT_SECRET).toBe(SECRET);
    expect(config.DATABASE_URL).toBe('postgres://umeme:pw@db:5432/umeme');
    expect(config.MQTT_SERVER_PASSWORD).toBe('sixteen-chars-or-more');
  });

  it('works for any variable, and the value read is validated like any other', () => {
    expect(loadConfig({ PORT_FILE: secretFile('port', '8080\n') }).PORT).toBe(8080);
    expect(configError({ JWT_SECRET_FILE: secretFile('short', 'short\n') })).toMatch(/JWT_SECRET/);
  });

  it('refuses both X and X_FILE, naming the variable', () => {
    const message = configError({ JWT_SECRET: SECRET, JWT_SECRET_FILE: secretFile('jwt', SECRET) });
    expect(message).toMatch(/JWT_SECRET: set either JWT_SECRET or JWT_SECRET_FILE, not both/);
  });

  it('refuses a missing, empty or directory file, naming the variable and path but not the content', () => {
    const missing = join(dir, 'missing');
    expect(configError({ ADMIN_PASSWORD_FILE: missing })).toContain(
      `ADMIN_PASSWORD: cannot read ADMIN_PASSWORD_FILE ${missing}: ENOENT`,
    );
    const empty = secretFile('empty', '\n');
    expect(configError({ DARAJA_PASSKEY_FILE: empty })).toContain(`DARAJA_PASSKEY_FILE ${empty}: empty`);
    const subdir = join(dir, 'sub');
    mkdirSync(subdir);
    expect(configError({ REDIS_URL_FILE: subdir })).toContain(`REDIS_URL_FILE ${subdir}: not a regular file`);
    const huge = secretFile('huge', `${'x'.repeat(70_000)}`);
    const message = configError({ DARAJA_CONSUMER_SECRET_FILE: huge });
    expect(message).toContain(`DARAJA_CONSUMER_SECRET_FILE ${huge}: larger than`);
    expect(message).not.toContain('xxxx');
  });

  it('never echoes a secret read from a file when its value is invalid', () => {
    const value = 'not-a-url-but-secret-looking-value';
    const message = configError({ DATABASE_URL_FILE: secretFile('db', value) });
    expect(message).toMatch(/DATABASE_URL/);
    expect(message).not.toContain(value);
  });

  it('treats an empty X_FILE as unset and leaves other variables alone', () => {
    const env = { JWT_SECRET_FILE: '', UNRELATED_FILE: '/nonexistent', PATH: '/usr/bin' };
    expect(resolveFileVariables(env)).toEqual(env);
  });
});
