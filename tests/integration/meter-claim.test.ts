// Protects meter claims (issue 17): a customer adds an unowned meter with its account number and claim code; "no such meter", "wrong code" and "already owned" answer alike; wrong codes are limited per account and per meter; codes are hashed and used up.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CLAIM_LIMITS } from '../../packages/server/src/meter-claims/meter-claims.schema';
import { startTestApp, type TestApp } from '../helpers/app';

interface Issued {
  meterNo: string;
  accountNo: string;
  claimCode: string;
  issuedAt: string;
}

describe('meter claims', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp();
  });
  afterAll(async () => {
    await t?.close();
  });

  async function issue(meterNo: string): Promise<Issued> {
    const r = await t.api<Issued>('POST', `/api/admin/meters/${meterNo}/claim-code`, undefined, t.adminToken);
    expect(r.status).toBe(200);
    return r.body;
  }

  const claim = (token: string, accountNo: string, code: string) =>
    t.api<{ meterNo?: string; error?: string; message?: string }>(
      'POST',
      '/api/meters/claim',
      { accountNo, code },
      token,
    );

  it('the right code makes an unowned meter the caller’s, audited, and the code is used up', async () => {
    const m = await t.newMeter();
    const c = await t.newCustomer();
    const code = await issue(m.meterNo);
    expect(code.claimCode).toMatch(/^[A-Z0-9]{4}-[A-Z0-9]{4}$/);
    const stored = await t.app.services.db.query<{ claim_code_hash: string }>(
      `SELECT claim_code_hash FROM meters WHERE meter_no = $1`,
      [m.meterNo],
    );
    expect(stored.rows[0]!.claim_code_hash).not.toContain(code.claimCode.replace('-', ''));
    // case, spaces and the dash do not matter
    const r = await claim(
      c.token,
      code.accountNo.toLowerCase(),
      ` ${code.claimCode.toLowerCase().replace('-', ' ')} `,
    );
    expect(r.status).toBe(200);
    expect(r.body.meterNo).toBe(m.meterNo);
    expect((await t.api('GET', `/api/meters/${m.meterNo}`, undefined, c.token)).status).toBe(200);
    const audit = await t.app.services.db.query<{ actor_id: string }>(
      `SELECT actor_id FROM audit_log WHERE target = $1 AND action = 'meter.claimed'`,
      [m.meterNo],
    );
    expect(audit.rows.map((a) => a.actor_id)).toEqual([c.id]);
    const status = await t.api<{ issuedAt: string | null; owned: boolean }>(
      'GET',
      `/api/admin/meters/${m.meterNo}/claim-code`,
      undefined,
      t.adminToken,
    );
    expect(status.body).toMatchObject({ issuedAt: null, owned: true });
  });

  it('no such meter, a wrong code, an owned meter and a used code answer byte-for-byte alike', async () => {
    const owned = await t.newMeter();
    const free = await t.newMeter();
    const first = await t.newCustomer();
    const other = await t.newCustomer();
    const ownedCode = await issue(owned.meterNo);
    expect((await claim(first.token, ownedCode.accountNo, ownedCode.claimCode)).status).toBe(200);
    const freeCode = await issue(free.meterNo);
    const answers = [
      await claim(other.token, 'NOSUCHMETER1', freeCode.claimCode),
      await claim(other.token, freeCode.accountNo, 'AAAA-AAAA'),
      await claim(other.token, ownedCode.accountNo, ownedCode.claimCode),
    ];
    // an owned meter with a fresh code still cannot be taken
    const again = await issue(owned.meterNo);
    answers.push(await claim(other.token, again.accountNo, again.claimCode));
    for (const a of answers) expect(a).toEqual(answers[0]);
    expect(answers[0]!.status).toBe(400);
    expect(answers[0]!.body.error).toBe('CLAIM_REJECTED');
    expect((await t.api('GET', `/api/meters/${owned.meterNo}`, undefined, other.token)).status).toBe(404);
  });

  it('a meter with no code issued cannot be claimed', async () => {
    const m = await t.newMeter();
    const c = await t.newCustomer();
    const r = await claim(c.token, m.meterNo, 'ACDE-FGHJ');
    expect(r.status).toBe(400);
  });

  it('wrong codes are limited per account, even the right code is then refused', async () => {
    const c = await t.newCustomer();
    for (let i = 0; i < CLAIM_LIMITS.maxFailures; i++) {
      expect((await claim(c.token, `NOPE${i}`, 'AAAA-AAAA')).status).toBe(400);
    }
    const m = await t.newMeter();
    const code = await issue(m.meterNo);
    const limited = await claim(c.token, code.accountNo, code.claimCode);
    expect(limited.status).toBe(429);
    expect(limited.body.error).toBe('CLAIM_LIMITED');
    // another customer is not held back by this one's guesses
    const d = await t.newCustomer();
    expect((await claim(d.token, code.accountNo, code.claimCode)).status).toBe(200);
  });

  it('wrong codes are limited per meter across accounts', async () => {
    const m = await t.newMeter();
    const code = await issue(m.meterNo);
    for (let i = 0; i < CLAIM_LIMITS.maxFailures; i++) {
      const guesser = await t.newCustomer();
      expect((await claim(guesser.token, code.accountNo, 'AAAA-AAAA')).status).toBe(400);
    }
    const owner = await t.newCustomer();
    expect((await claim(owner.token, code.accountNo, code.claimCode)).status).toBe(429);
  });

  it('only operators issue codes, and issuing one is audited', async () => {
    const m = await t.newMeter();
    const c = await t.newCustomer();
    expect(
      (await t.api('POST', `/api/admin/meters/${m.meterNo}/claim-code`, undefined, c.token)).status,
    ).toBe(403);
    await issue(m.meterNo);
    const audit = await t.app.services.db.query(
      `SELECT 1 FROM audit_log WHERE target = $1 AND action = 'meter.claim_code_issued'`,
      [m.meterNo],
    );
    expect(audit.rowCount).toBe(1);
  });
});
