// Protects the batcher's retry: a batch failing for want of the database is applied again, ahead of later items, and its items settle only then; any other failure rejects at once.
import { describe, expect, it } from 'vitest';
import { isDatabaseUnavailable } from '../db/db';
import { Batcher } from './batcher';

const unavailable = Object.assign(new Error('terminating connection due to administrator command'), {
  code: '57P01',
});

function batcher(apply: (items: number[]) => Promise<void>) {
  const errors: boolean[] = [];
  const b = new Batcher<number>({
    maxBatch: 10,
    maxDelayMs: 0,
    concurrency: 1,
    highWater: 100,
    apply,
    onError: (_err, _items, retrying) => errors.push(retrying),
    retryable: isDatabaseUnavailable,
    retryDelayMs: 5,
  });
  return { b, errors };
}

describe('Batcher retry', () => {
  it('a batch that failed for want of the database is applied again before later items, and its items resolve then', async () => {
    const applied: number[][] = [];
    let failures = 2;
    const { b, errors } = batcher(async (items) => {
      if (failures-- > 0) throw unavailable;
      applied.push(items);
    });
    const first = b.add(1);
    const second = b.add(2);
    await Promise.all([first, second]);
    expect(errors).toEqual([true, true]);
    expect(applied.flat()).toEqual([1, 2]);
  });

  it('any other failure rejects the batch’s items without a retry', async () => {
    const { b, errors } = batcher(async () => {
      throw Object.assign(new Error('duplicate key'), { code: '23505' });
    });
    await expect(b.add(1)).rejects.toThrow('duplicate key');
    expect(errors).toEqual([false]);
  });
});

describe('isDatabaseUnavailable', () => {
  it('knows a database that is away from work that was refused', () => {
    for (const away of [
      unavailable,
      { code: '57P03' },
      { code: '08006' },
      { code: 'ECONNREFUSED' },
      new Error('Connection terminated unexpectedly'),
      new Error('timeout exceeded when trying to connect'),
      new AggregateError([{ code: 'ECONNREFUSED' }]),
    ])
      expect(isDatabaseUnavailable(away)).toBe(true);
    for (const refused of [{ code: '23505' }, { code: '40001' }, new Error('boom'), null, 'x'])
      expect(isDatabaseUnavailable(refused)).toBe(false);
  });
});
