import { iso } from '../shared/dates';

/** A row of `meter_commands`, as the database returns it. */
export interface CommandDbRow {
  id: string;
  meter_no: string;
  kind: string;
  payload: Record<string, unknown>;
  status: string;
  reason: string;
  created_by: string | null;
  attempts: number;
  created_at: Date | string;
  sent_at: Date | string | null;
  acknowledged_at: Date | string | null;
  expires_at: Date | string;
}

export const toCommandRow = (c: CommandDbRow) => ({
  id: c.id,
  meterNo: c.meter_no,
  kind: c.kind,
  payload: c.payload,
  status: c.status,
  reason: c.reason,
  createdBy: c.created_by,
  attempts: c.attempts,
  createdAt: iso(c.created_at)!,
  sentAt: iso(c.sent_at),
  acknowledgedAt: iso(c.acknowledged_at),
  expiresAt: iso(c.expires_at)!,
});

/** Reasons of the system relay commands the friendly-hours scheduler sends (issue 5 §4). */
export const FRIENDLY_HOURS_REASON = 'friendly_hours';
export const FRIENDLY_HOURS_END_REASON = 'friendly_hours_end';

export const isFriendlyHoursCommand = (c: Pick<CommandDbRow, 'created_by' | 'reason'>): boolean =>
  c.created_by === null && (c.reason === FRIENDLY_HOURS_REASON || c.reason === FRIENDLY_HOURS_END_REASON);
