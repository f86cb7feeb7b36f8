import { describe, expect, it } from 'vitest';
import { arrayLiteral } from './db';

describe('arrayLiteral', () => {
  it('writes numbers, booleans and nulls bare', () => {
    expect(arrayLiteral([1, -2, 0, 9_007_199_254_740_991, null])).toBe('{1,-2,0,9007199254740991,NULL}');
    expect(arrayLiteral([true, false])).toBe('{t,f}');
    expect(arrayLiteral([])).toBe('{}');
  });

  it('quotes every string, so that "NULL" and empty strings stay strings', () => {
    expect(arrayLiteral(['M-001', 'NULL', '', 'a b,c'])).toBe('{"M-001","NULL","","a b,c"}');
  });

  it('escapes quotes and backslashes', () => {
    expect(arrayLiteral(['say "hi"', 'back\\slash'])).toBe('{"say \\"hi\\"","back\\\\slash"}');
  });

  it('refuses a number that is not finite', () => {
    expect(() => arrayLiteral([Number.NaN])).toThrow(RangeError);
    expect(() => arrayLiteral([Infinity])).toThrow(RangeError);
  });
});
