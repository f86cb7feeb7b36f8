import { EventEmitter } from 'node:events';
import type { TransactionType } from '@umeme/protocol';
import type { SupplyInputs } from '../meters/supply';

/**
 * Domain events raised after a commit. Adapters (MQTT publisher, Socket.IO gateway) listen.
 * Energy in mWh and money in cents here; the adapters convert at the edge.
 */
export interface MeterChanged {
  meterNo: string;
  userId: string | null;
  eventSeq: number;
  previousBalanceMwh: number;
  balanceMwh: number;
  creditLimitMwh: number;
  energyMwh: number;
  powerW: number | null;
  relay: 'on' | 'off';
  status: string;
  lastSeen: number | null;
  cause: TransactionType;
  transactionId?: string;
  amountCents?: number;
  energyDeltaMwh?: number;
  at: number;
  /** the rest of the server's relay decision's inputs, when the emitter read them (credits, reports) */
  supply?: SupplyInputs;
}

export interface AlertChanged {
  meterNo: string;
  userId: string | null;
  kind: string;
  severity: 'info' | 'warning' | 'critical';
  message: string;
  open: boolean;
  at: number;
  /** predicted_low: whole hours of credit left at the recent rate */
  hoursLeft?: number;
}

/** An STK payment that ended without money (cancelled, wrong PIN, expired…), with a readable reason. */
export interface PaymentFailed {
  meterNo: string;
  userId: string;
  intentId: string;
  reason: string;
}

/** A manual top-up request decided by an operator. Money in cents. */
export interface TopupProcessed {
  topupId: string;
  userId: string;
  meterNo: string;
  amountCents: number;
  status: 'approved' | 'rejected';
  /** the operator's notes: the reason a customer is told */
  notes: string;
  transactionId: string | null;
}

export interface DomainEvents {
  meter_changed: [MeterChanged];
  credit_limit_changed: [{ meterNo: string; creditLimitMwh: number; balanceMwh: number }];
  meter_online: [{ meterNo: string }];
  /** an operator gave a meter to another customer, or to nobody (after commit) */
  meter_assigned: [{ meterNo: string; from: string | null; to: string | null }];
  /** a meter's device secret was rotated or revoked: a session opened with the old one ends */
  device_credentials_changed: [{ meterNo: string; change: 'rotated' | 'revoked' }];
  /** a customer's monthly statement was generated */
  bill_generated: [{ userId: string; period: string; url: string; amountCents: number }];
  /** a meter's status carried `ack: <id>`: that persistent command was applied */
  command_acknowledged: [{ meterNo: string; commandId: string }];
  /** the meter evidently missed its latest credit limit: publish it again */
  republish_credit_limit: [{ meterNo: string }];
  alert_changed: [AlertChanged];
  /** an operator acknowledged an alert (after commit) */
  alert_acknowledged: [{ alertId: number; meterNo: string; kind: string; closed: boolean }];
  /** an STK callback matched no payment request: kept for operator review (after commit) */
  payment_orphaned: [{ callbackId: string; amountCents: number | null; receipt: string | null }];
  /** an operator assigned or dismissed an orphan callback (after commit) */
  payment_orphan_resolved: [{ callbackId: string; resolution: 'assigned' | 'dismissed' }];
  payment_failed: [PaymentFailed];
  /** an STK prompt reached M-Pesa and waits on the phone (reconciliation queries it if unanswered) */
  payment_prompted: [{ intentId: string; meterNo: string }];
  /** a customer asked for a manual top-up (after its insert) */
  topup_requested: [{ topupId: string; userId: string; meterNo: string; amountCents: number }];
  /** an operator approved or rejected a manual top-up request (after commit) */
  topup_processed: [TopupProcessed];
  /** an operator's relay or config command was written (after commit); `action` for relay commands */
  meter_command_created: [
    { meterNo: string; commandId: string; kind: 'relay' | 'config'; action: string | null; reason: string },
  ];
  /** a user's token version moved (logout, password change, disabled): every session ends (after commit) */
  user_sessions_ended: [
    {
      userId: string;
      reason: 'logout' | 'password_changed' | 'disabled' | 'role_changed' | 'password_reset';
    },
  ];
  meter_status: [
    {
      meterNo: string;
      userId: string | null;
      status: string;
      relay: 'on' | 'off';
      eventSeq: number;
      lastSeen: number | null;
      at: number;
    },
  ];
}

export class EventBus extends EventEmitter<DomainEvents> {}
