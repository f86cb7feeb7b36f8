import { describe, expect, it } from 'vitest';
import { decodeConsumption, parseJsonPayload } from './mqtt-payloads';

const enc = (s: string) => new TextEncoder().encode(s);

describe('parseJsonPayload', () => {
  it('parses an object from bytes and from text', () => {
    expect(parseJsonPayload(enc('{"a":1}'))).toEqual({ ok: true, value: { a: 1 } });
    expect(parseJsonPayload('{"a":"b"}')).toEqual({ ok: true, value: { a: 'b' } });
  });

  it.each([
    ['a plain __proto__ key', '{"a":1,"__proto__":{"polluted":true}}'],
    ['a nested constructor key', '{"a":{"constructor":{"prototype":{"x":1}}}}'],
    ['a prototype key', '{"prototype":1}'],
    ['a \\u-escaped __proto__ key', '{"\\u005f_proto__":{"polluted":true}}'],
    ['a \\u-escaped constructor key', '{"c\\u006fnstructor":1}'],
  ])('refuses %s', (_name, text) => {
    expect(parseJsonPayload(enc(text))).toEqual({ ok: false, reason: 'bad_json' });
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it('accepts escapes and those words inside values', () => {
    expect(parseJsonPayload(enc('{"msg":"a \\"constructor\\" said __proto__"}'))).toEqual({
      ok: true,
      value: { msg: 'a "constructor" said __proto__' },
    });
  });

  it('refuses bad UTF-8, non-objects, and oversized payloads', () => {
    expect(parseJsonPayload(new Uint8Array([0x7b, 0xff, 0x7d]))).toEqual({ ok: false, reason: 'bad_utf8' });
    expect(parseJsonPayload(enc('[1,2]'))).toEqual({ ok: false, reason: 'not_object' });
    expect(parseJsonPayload(enc('null'))).toEqual({ ok: false, reason: 'not_object' });
    expect(parseJsonPayload(enc(`{"a":"${'x'.repeat(3_000)}"}`))).toEqual({ ok: false, reason: 'oversized' });
  });

  it('decodes a v2 report after the fast path', () => {
    const r = decodeConsumption(
      enc(
        JSON.stringify({
          v: 2,
          meterNo: 'M1',
          seq: 3,
          energyTotal: 1.5,
          unitsConsumed: 0.1,
          remainingBalance: 2,
          powerW: 100,
          currentA: 0.4,
          voltageV: 240,
          relay: 'on',
          timestamp: 1_700_000_000,
        }),
      ),
    );
    expect(r.ok && r.value.kind).toBe('v2');
  });
});
