// Protects how the app reads the documented consumption and transaction answers into its chart and list.
import { describe, expect, it } from 'vitest';
import { consumptionPoints, transactionPage } from './api-types';

describe('the documented answers', () => {
  it('a consumption answer becomes chart points at each bucket start, in kWh', () => {
    expect(
      consumptionPoints({
        meterNo: 'M1',
        bucket: 'hour',
        timezone: 'Africa/Nairobi',
        from: '2026-03-14T12:00:00.000Z',
        to: '2026-03-14T14:00:00.000Z',
        points: [
          {
            start: '2026-03-14T12:00:00.000Z',
            energyKwh: 0.5,
            energyMwh: 500_000,
            maxPowerW: 900,
            reports: 60,
          },
          {
            start: '2026-03-14T13:00:00.000Z',
            energyKwh: 0.25,
            energyMwh: 250_000,
            maxPowerW: null,
            reports: 1,
          },
        ],
        totalKwh: 0.75,
        totalMwh: 750_000,
      }),
    ).toEqual([
      { startMs: Date.UTC(2026, 2, 14, 12), kwh: 0.5 },
      { startMs: Date.UTC(2026, 2, 14, 13), kwh: 0.25 },
    ]);
  });

  it('a transactions answer becomes rows timed when they were created, with the next cursor', () => {
    const page = transactionPage({
      transactions: [
        {
          id: 't1',
          meterNo: 'M1',
          type: 'payment',
          source: 'mpesa_stk',
          status: 'completed',
          amountKes: 100,
          amountCents: 10_000,
          energyKwh: 5,
          energyMwh: 5_000_000,
          reference: 'SKL4H7XQ2P',
          phone: '2547*****678',
          createdAt: '2026-03-14T12:00:00.000Z',
          completedAt: '2026-03-14T12:00:01.000Z',
        },
      ],
      next: 'cursor',
    });
    expect(page).toEqual({
      items: [
        {
          id: 't1',
          type: 'payment',
          status: 'completed',
          amountKes: 100,
          energyKwh: 5,
          atMs: Date.UTC(2026, 2, 14, 12),
        },
      ],
      next: 'cursor',
    });
  });
});
