// Protects the device secrets operators copy into meters: whole, unambiguous, never altered by a CSV or a shell.
import { describe, expect, it } from 'vitest';
import { hashDeviceSecret, newDeviceSecret } from './device-credentials';

describe('device secrets', () => {
  it('are 43 base64url characters that start with a letter or digit (a CSV cell starting with - is rewritten)', () => {
    // 3,000 draws: without the redraw, about 47 of them would start with '-' or '_'
    const secrets = Array.from({ length: 3_000 }, newDeviceSecret);
    for (const s of secrets) expect(s).toMatch(/^[A-Za-z0-9][A-Za-z0-9_-]{42}$/);
    expect(new Set(secrets).size).toBe(secrets.length);
    // still drawn from the whole alphabet after the first character
    expect(secrets.some((s) => s.slice(1).includes('-'))).toBe(true);
  });

  it('are stored as their sha256', () => {
    expect(hashDeviceSecret('abc')).toBe('ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
  });
});
