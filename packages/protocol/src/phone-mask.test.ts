// Protects the one phone-masking rule the server and the web app share.
import { describe, expect, it } from 'vitest';
import { maskPhone } from './phone-mask';

describe('maskPhone', () => {
  it('shows the first four and last three digits of a Kenyan number, stars between', () => {
    expect(maskPhone('254712345678')).toBe('2547*****678');
  });
  it('ignores spaces and a plus sign the number was stored with', () => {
    expect(maskPhone('+254 712 345 678')).toBe('2547*****678');
  });
  it('hides a short number entirely and keeps null as null', () => {
    expect(maskPhone('12345')).toBe('*****');
    expect(maskPhone(null)).toBeNull();
  });
});
