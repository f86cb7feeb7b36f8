export { MAX_WIRE_QUANTITY } from './units';
export const METER_NO_PATTERN_SOURCE = '^[A-Za-z0-9_-]{1,12}$';
