// Protects the one "is this meter online" rule the server, the dashboard and the console share.
import { describe, expect, it } from 'vitest';
import { meterStatusValues } from './mqtt-payloads';
import { isOnlineStatus } from './meter-status';

describe('isOnlineStatus', () => {
  it('counts every status a talking meter sends as online, and only offline and never_seen as not', () => {
    expect(meterStatusValues.filter((s) => !isOnlineStatus(s))).toEqual(['offline']);
    expect(isOnlineStatus('never_seen')).toBe(false);
    expect(isOnlineStatus('low_balance')).toBe(true);
  });
});
