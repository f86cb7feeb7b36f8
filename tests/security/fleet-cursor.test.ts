// Protects SEC-5 (bad input is a 400, never a 500): a crafted fleet cursor holding the wrong type for its sort key.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { databases, startTestApp, type TestApp } from '../helpers/app';

const cursorOf = (value: unknown): string => Buffer.from(JSON.stringify(value)).toString('base64url');

/** Cursors whose value has the wrong type (or an impossible value) for each sort key. */
const wrongFor = {
  meterNo: [
    ['abc', 'KE\u0000001'],
    ['abc', 'x'.repeat(150)],
    [5, 'KE-001'],
  ],
  balance: [
    ['abc', 'KE-001'],
    ['2026-01-01T00:00:00.000000Z', 'KE-001'],
    [1.5, 'KE-001'],
    [1e20, 'KE-001'],
    [1e308, 'KE-001'],
    [null, 'KE-001'],
    [5, 'KE\u0000001'],
  ],
  power: [
    ['abc', 'KE-001'],
    ['12', 'KE-001'],
    [-0.25, 'KE-001'],
    [1e20, 'KE-001'],
    [null, 'KE-001'],
  ],
  lastSeen: [
    [5, 'KE-001'],
    ['abc', 'KE-001'],
    ['2026-13-45T99:00:00.000000Z', 'KE-001'],
    ['99999999-01-01T00:00:00Z', 'KE-001'],
    [null, 'KE-001'],
  ],
} as const;

describe.each(databases)('fleet cursor on %s', (db) => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp(db);
    await t.newMeter();
    await t.newMeter();
    await t.newMeter();
  });
  afterAll(async () => {
    await t.close();
  });

  for (const [key, cursors] of Object.entries(wrongFor)) {
    for (const dir of ['', '-']) {
      it(`a wrong-typed cursor for sort=${dir}${key} answers 400 {error, message}`, async () => {
        for (const c of cursors) {
          const res = await t.api<{ error: string; message: string }>(
            'GET',
            `/api/admin/meters?sort=${dir}${key}&cursor=${cursorOf(c)}`,
            undefined,
            t.adminToken,
          );
          expect({ cursor: c, status: res.status }).toEqual({ cursor: c, status: 400 });
          expect(res.body).toMatchObject({ error: 'BAD_REQUEST', message: expect.any(String) });
        }
      });

      it(`the cursor the server hands out for sort=${dir}${key} still pages`, async () => {
        const seen: string[] = [];
        let cursor: string | null = null;
        do {
          const res: { status: number; body: { meters: { meterNo: string }[]; next: string | null } } =
            await t.api(
              'GET',
              `/api/admin/meters?sort=${dir}${key}&limit=1${cursor ? `&cursor=${cursor}` : ''}`,
              undefined,
              t.adminToken,
            );
          expect(res.status).toBe(200);
          seen.push(...res.body.meters.map((m) => m.meterNo));
          cursor = res.body.next;
        } while (cursor);
        expect(seen.length).toBe(3);
        expect(new Set(seen).size).toBe(3);
      });
    }
  }
});
