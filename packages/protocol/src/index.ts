export * from './units';
export * from './topics';
export * from './mqtt-payloads';
export * from './socket-events';
export * from './meter-status';
export {
  ACCOUNT_NO_MAX_CHARS,
  METER_NO_MAX_CHARS,
  METER_NO_MESSAGE,
  METER_NO_PATTERN_SOURCE,
} from './limits';
export { RECEIPT_STYLE } from './print-styles';
export { maskPhone } from './phone-mask';
