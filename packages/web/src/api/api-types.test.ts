// Protects the readers of the consumption and transaction answers against the shapes the server may send.
import { describe, expect, it } from 'vitest';
import { readConsumption, readTransactions } from './api-types';

describe('readConsumption', () => {
  it('reads points under common names with ISO or epoch times and kWh or mWh', () => {
    expect(
      readConsumption({
        points: [
          { start: '2026-03-14T12:00:00.000Z', kwh: 0.5 },
          { t: 1_773_493_200, energyKwh: 0.25 },
          { hour: '2026-03-14T14:00:00Z', energyMwh: 750_000 },
          { start: 'bad', kwh: 1 },
          'junk',
        ],
      }),
    ).toEqual([
      { startMs: Date.UTC(2026, 2, 14, 12), kwh: 0.5 },
      { startMs: 1_773_493_200_000, kwh: 0.25 },
      { startMs: Date.UTC(2026, 2, 14, 14), kwh: 0.75 },
    ]);
  });

  it('reads a bare array and returns nothing for an unknown shape', () => {
    expect(readConsumption([{ time: 1_773_493_200_000, consumedKwh: '1.5' }])).toEqual([
      { startMs: 1_773_493_200_000, kwh: 1.5 },
    ]);
    expect(readConsumption({ error: 'NOT_FOUND' })).toEqual([]);
  });
});

describe('readTransactions', () => {
  it('reads transactions with money in KES or cents and a next cursor', () => {
    const page = readTransactions({
      transactions: [
        {
          id: 't1',
          type: 'simulate',
          status: 'completed',
          amountKes: 100,
          energyKwh: 5,
          createdAt: '2026-03-14T12:00:00Z',
        },
        {
          id: 't2',
          type: 'payment',
          amountCents: 5000,
          energyMwh: 2_500_000,
          createdAt: '2026-03-14T11:00:00Z',
        },
        { type: 'payment', createdAt: '2026-03-14T11:00:00Z' },
      ],
      next: 'cursor',
    });
    expect(page.next).toBe('cursor');
    expect(page.items).toEqual([
      {
        id: 't1',
        type: 'simulate',
        status: 'completed',
        amountKes: 100,
        energyKwh: 5,
        atMs: Date.UTC(2026, 2, 14, 12),
      },
      {
        id: 't2',
        type: 'payment',
        status: 'completed',
        amountKes: 50,
        energyKwh: 2.5,
        atMs: Date.UTC(2026, 2, 14, 11),
      },
    ]);
  });
});
