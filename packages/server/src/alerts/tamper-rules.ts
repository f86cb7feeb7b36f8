import type { AlertKind } from './alerts.service';

/** Energy a meter may still register with its relay reported off (sensor noise, switching). */
export const RELAY_OFF_TOLERANCE_MWH = 1_000;

export interface TamperInput {
  meterNo: string;
  userId: string | null;
  /** energy debited from reports that said the relay was off, when it was already off before */
  relayOffDebitMwh: number;
  /** the newest reported power */
  powerW: number | null;
  /** the meter's rated maximum load, if configured */
  maxLoadW: number | null;
}

export interface TamperAlert {
  meterNo: string;
  userId: string | null;
  kind: Extract<AlertKind, 'tamper_relay' | 'power_over_rated'>;
  open: boolean;
  severity: 'critical' | 'warning';
  message: string;
}

const isOverRated = (input: TamperInput): boolean =>
  input.maxLoadW !== null && input.powerW !== null && input.powerW > input.maxLoadW;

/** Cheap test for the hot path: whether either tamper alert should be open now. */
export function tamperSuspected(input: TamperInput): boolean {
  return input.relayOffDebitMwh > RELAY_OFF_TOLERANCE_MWH || isOverRated(input);
}

/** Pure: which suspected-tamper alerts should be open after a batch of reports from one meter. */
export function tamperAlerts(input: TamperInput): TamperAlert[] {
  const base = { meterNo: input.meterNo, userId: input.userId };
  const overRated = isOverRated(input);
  return [
    {
      ...base,
      kind: 'tamper_relay',
      open: input.relayOffDebitMwh > RELAY_OFF_TOLERANCE_MWH,
      severity: 'critical',
      message: 'Suspected tamper: the relay is reported off but consumption is still being recorded.',
    },
    {
      ...base,
      kind: 'power_over_rated',
      open: overRated,
      severity: 'warning',
      message: overRated
        ? `Power ${input.powerW} W is above the rated maximum of ${input.maxLoadW} W.`
        : 'Power is back within the rated maximum.',
    },
  ];
}
