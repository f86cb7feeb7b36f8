// Protects the translation of every server error code and M-Pesa result code: the web app shows
// each in the reader's language and never the server's English.
import { describe, expect, it } from 'vitest';
import { errorCatalogue } from '../../packages/server/src/shared/errors';
import { RESULT_DESCS } from '../../packages/daraja/src/emulator';
import { ApiError, NetworkError } from '../../packages/web/src/api/http-client';
import type { en } from '../../packages/web/src/i18n/dictionary';
import { sw } from '../../packages/web/src/i18n/dictionary';
import { errorMessageKey, errorText } from '../../packages/web/src/i18n/error-text';
import { translate } from '../../packages/web/src/i18n/i18n';
import { failureMessageKey, hasFailureMessage } from '../../packages/web/src/state/payment';

describe('server errors in the reader language', () => {
  it('every error catalogue code has its own dictionary key', () => {
    const missing = Object.keys(errorCatalogue).filter((code) => errorMessageKey(code) === 'err_unknown');
    expect(missing).toEqual([]);
  });

  it('every M-Pesa result code the emulator reports has words of its own', () => {
    const codes = Object.keys(RESULT_DESCS)
      .map(Number)
      .filter((code) => code !== 0);
    expect(codes.filter((code) => !hasFailureMessage(code))).toEqual([]);
  });

  it('a known code shows its Kiswahili words, not the server message', () => {
    const t = (key: keyof typeof en) => translate('sw', key);
    const err = new ApiError(401, 'INVALID_CREDENTIALS', 'Wrong email or password.');
    expect(errorText({ locale: 'sw', t }, err)).toBe(sw.err_INVALID_CREDENTIALS);
    expect(errorText({ locale: 'sw', t }, new NetworkError('fetch failed'))).toBe(sw.networkError);
    // English readers get the server's own sentence, which may say more than the code.
    const english = (key: keyof typeof en) => translate('en', key);
    const dismissed = new ApiError(
      409,
      'ORPHAN_ALREADY_RESOLVED',
      'That orphan callback was already dismissed.',
    );
    expect(errorText({ locale: 'en', t: english }, dismissed)).toBe(
      'That orphan callback was already dismissed.',
    );
  });

  it('an unknown code or result code falls back to a generic translated message', () => {
    const t = (key: keyof typeof en) => translate('sw', key);
    expect(errorText({ locale: 'sw', t }, new ApiError(418, 'TEAPOT', 'I am a teapot'))).toBe(sw.err_unknown);
    expect(errorText({ locale: 'sw', t }, new Error('boom'))).toBe(sw.err_unknown);
    expect(failureMessageKey(4242)).toBe('payFailedUnknown');
  });
});
