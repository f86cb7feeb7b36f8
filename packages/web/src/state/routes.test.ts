// Protects the app's URLs: what each path opens.
import { describe, expect, it } from 'vitest';
import { meterPath, parseRoute } from './routes';

describe('routes', () => {
  it('maps paths to screens', () => {
    expect(parseRoute('/')).toEqual({ name: 'home' });
    expect(parseRoute('/signin')).toEqual({ name: 'signin' });
    expect(parseRoute('/signup/')).toEqual({ name: 'signup' });
    expect(parseRoute('/meters/KE-001')).toEqual({ name: 'meter', meterNo: 'KE-001' });
    expect(parseRoute('/meters/a/b')).toEqual({ name: 'unknown' });
    expect(parseRoute('/meters/%E0%A4%A')).toEqual({ name: 'unknown' });
  });

  it('a meter path round-trips', () => {
    expect(parseRoute(meterPath('M 1/2'))).toEqual({ name: 'meter', meterNo: 'M 1/2' });
  });
});
