export * from './gsm7';
export * from './schemas';
export * from './client';
export * from './emulator';
