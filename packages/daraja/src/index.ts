export * from './schemas';
export * from './client';
export * from './emulator';
export { redactForLog, silentLogger, type DarajaLogger } from './logging';
export * as darajaLimits from './limits';
