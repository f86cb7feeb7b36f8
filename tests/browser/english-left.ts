/// <reference lib="dom" />
/// <reference lib="dom.iterable" />
// Finds English left on a screen that should be all Kiswahili (issue 17, item 5). Used by the
// tests that walk every screen with the browser set to Kiswahili.
import type { Page } from 'playwright-core';

/**
 * Words that are English and never Kiswahili: function words a sentence cannot avoid, and the
 * words the dashboard and console are made of. A visible text, placeholder, title or aria-label
 * containing one as a whole word is English left behind. Names, brands and units (Umeme, M-Pesa,
 * KSh, kWh, EAT, SMS, USSD, CSV) are the same in both languages and are not listed.
 */
export const ENGLISH_WORDS = [
  // function words
  'the',
  'and',
  'your',
  'you',
  'with',
  'from',
  'this',
  'that',
  'for',
  'not',
  'are',
  'was',
  'has',
  'have',
  'will',
  'been',
  'of',
  'to',
  'is',
  'in',
  'at',
  'or',
  'by',
  'no',
  'yes',
  'please',
  'when',
  'what',
  'which',
  'who',
  'how',
  'all',
  'none',
  'any',
  'more',
  'less',
  'than',
  'per',
  'each',
  // the dashboard's and console's own words
  'sign',
  'balance',
  'meter',
  'meters',
  'payment',
  'payments',
  'amount',
  'date',
  'time',
  'status',
  'search',
  'save',
  'cancel',
  'close',
  'loading',
  'settings',
  'users',
  'user',
  'alerts',
  'alert',
  'reports',
  'report',
  'history',
  'today',
  'yesterday',
  'week',
  'month',
  'total',
  'back',
  'next',
  'previous',
  'add',
  'edit',
  'delete',
  'new',
  'online',
  'offline',
  'load',
  'supply',
  'credit',
  'buy',
  'paid',
  'failed',
  'pending',
  'approved',
  'rejected',
  'approve',
  'reject',
  'reason',
  'customer',
  'customers',
  'operator',
  'operators',
  'account',
  'phone',
  'email',
  'password',
  'name',
  'energy',
  'used',
  'left',
  'hours',
  'minutes',
  'days',
  'ago',
  'updated',
  'live',
  'show',
  'hide',
  'filter',
  'export',
  'download',
  'open',
  'off',
  'retry',
  'receipt',
  'receipts',
  'statement',
  'statements',
  'usage',
  'tariff',
  'tariffs',
  'fleet',
  'audit',
  'role',
  'disabled',
  'enabled',
  'disconnect',
  'connect',
  'connected',
  'emergency',
  'debt',
  'limit',
  'top-up',
  'top-ups',
  'request',
  'requests',
  'success',
  'error',
  'warning',
  'never',
  'unknown',
  'friendly',
  'level',
  'view',
  'details',
  'summary',
  'refresh',
  'language',
  'help',
  'welcome',
  'language',
  // the console's words (issue 17 item 5 walk)
  'owner',
  'firmware',
  'relay',
  'register',
  'ledger',
  'memo',
  'kind',
  'severity',
  'message',
  'messages',
  'command',
  'commands',
  'received',
  'created',
  'queued',
  'sent',
  'delivered',
  'acknowledged',
  'acknowledge',
  'purchase',
  'refund',
  'adjustment',
  'consumption',
  'assign',
  'assigned',
  'dismiss',
  'dismissed',
  'rotate',
  'secret',
  'scheduled',
  'levy',
  'levies',
  'daily',
  'monthly',
  'revenue',
  'cost',
  'parts',
  'reply',
  'dial',
  'expires',
];

const WORD = new RegExp(`(^|[^\\p{L}\\p{N}_-])(${ENGLISH_WORDS.join('|')})(?=$|[^\\p{L}\\p{N}_-])`, 'iu');

/** The English word a text contains, or null. */
export function englishWordIn(text: string): string | null {
  const m = WORD.exec(text);
  return m ? m[2]!.toLowerCase() : null;
}

/**
 * Every visible text (and placeholder, title, aria-label, alt) on the page that contains an
 * English word, with the word. Text inside an element marked `translate="no"` (people's names,
 * e-mail addresses, meter numbers: data, not the app's words) or inside `<code>` is skipped.
 */
export async function englishLeftOnPage(page: Page): Promise<{ text: string; word: string }[]> {
  const texts = await page.evaluate(() => {
    const out: string[] = [];
    const skipped = (el: Element | null): boolean =>
      el !== null && el.closest('[translate="no"], code, script, style, noscript, template') !== null;
    const visible = (el: Element): boolean => {
      const style = getComputedStyle(el);
      if (style.visibility === 'hidden' || style.display === 'none') return false;
      const box = el.getBoundingClientRect();
      return box.width > 0 || box.height > 0 || el.closest('select') !== null;
    };
    const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
    for (let node = walker.nextNode(); node !== null; node = walker.nextNode()) {
      const el = node.parentElement;
      const text = node.textContent?.trim() ?? '';
      if (text === '' || el === null || skipped(el) || !visible(el)) continue;
      out.push(text);
    }
    for (const el of document.querySelectorAll('[placeholder], [title], [aria-label], img[alt]')) {
      if (skipped(el)) continue;
      for (const attr of ['placeholder', 'title', 'aria-label', 'alt']) {
        const value = el.getAttribute(attr)?.trim();
        if (value) out.push(value);
      }
    }
    return out;
  });
  const found: { text: string; word: string }[] = [];
  for (const text of texts) {
    const word = englishWordIn(text);
    if (word !== null) found.push({ text: text.slice(0, 120), word });
  }
  return found;
}
