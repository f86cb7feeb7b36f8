/**
 * The demo "virtual phone": one self-contained page (no external assets) that shows the STK
 * prompts waiting for a phone number and lets a person accept with a PIN or decline. Prompt
 * text is inserted with textContent only, so an AccountReference cannot inject markup.
 */

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

export const PHONE_PAGE_CSP =
  "default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; connect-src 'self'; base-uri 'none'; form-action 'none'";

export function renderPhonePage(options: { businessName: string }): string {
  const title = `${escapeHtml(options.businessName)} · M-PESA virtual phone`;
  // The business name goes into the script as a JSON string, with "<" escaped so it cannot end the script.
  const business = JSON.stringify(options.businessName).replace(/</g, '\\u003c');
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${title}</title>
<style>
  :root { color-scheme: light; --green: #2e9e41; --red: #c62828; --ink: #1d2330; }
  * { box-sizing: border-box; }
  body { margin: 0; min-height: 100vh; display: flex; justify-content: center; align-items: flex-start;
    background: #dfe5ec; font: 16px/1.4 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color: var(--ink); }
  .phone { width: 100%; max-width: 380px; min-height: 100vh; background: #fff; padding: 16px;
    box-shadow: 0 0 24px rgba(0,0,0,.15); }
  @media (min-width: 480px) { .phone { margin: 24px 0; min-height: 680px; border-radius: 28px; border: 10px solid #222; } }
  h1 { font-size: 18px; margin: 4px 0 12px; color: var(--green); }
  label { font-size: 13px; color: #555; }
  .row { display: flex; gap: 8px; margin-bottom: 16px; }
  input { font: inherit; padding: 10px 12px; border: 1px solid #bbb; border-radius: 10px; width: 100%; }
  .prompt { border: 1px solid #cfd8dc; border-radius: 14px; padding: 14px; margin-bottom: 14px; background: #f7faf7; }
  .prompt p { margin: 0 0 10px; }
  .meta { font-size: 12px; color: #667; margin-bottom: 10px; }
  .actions { display: flex; gap: 8px; margin-top: 10px; }
  button { font: inherit; flex: 1; padding: 10px; border: 0; border-radius: 10px; color: #fff; cursor: pointer; }
  button.accept { background: var(--green); }
  button.decline { background: var(--red); }
  button:disabled { opacity: .5; cursor: default; }
  .empty, .status { color: #667; font-size: 14px; }
  .status { min-height: 20px; margin-top: 8px; }
  .langs { display: flex; justify-content: flex-end; gap: 4px; margin-bottom: 4px; }
  .langs button { flex: 0 0 auto; padding: 4px 10px; font-size: 13px; background: #eceff1; color: var(--ink); }
  .langs button[aria-pressed="true"] { background: var(--ink); color: #fff; }
</style>
</head>
<body>
<main class="phone">
  <div class="langs" role="group" aria-label="Language" data-wa="language"><button type="button" data-lang="en" translate="no">English</button><button type="button" data-lang="sw" translate="no">Kiswahili</button></div>
  <h1>M-PESA</h1>
  <label for="phone" data-w="phone">Phone number</label>
  <div class="row"><input id="phone" inputmode="tel" autocomplete="tel" placeholder="0712 345 678"></div>
  <div id="prompts"><p class="empty" data-w="none">No payment requests.</p></div>
  <p class="status" id="status" role="status"></p>
</main>
<script>
(function () {
  'use strict';
  var BUSINESS = ${business};
  var WORDS = {
    en: { language: 'Language', title: 'M-PESA virtual phone', phone: 'Phone number', none: 'No payment requests.',
      prompt: 'Pay KES {amount} to {business} for account {account}? Enter PIN', expires: 'Expires in {s} s',
      pin: 'M-PESA PIN', send: 'Send', cancel: 'Cancel', pinInvalid: 'Enter a 4-digit PIN.',
      accepted: 'Paid.', declined: 'Cancelled.', failed: 'The payment did not go through.', network: 'Network error.' },
    sw: { language: 'Lugha', title: 'Simu ya majaribio ya M-PESA', phone: 'Nambari ya simu', none: 'Hakuna maombi ya malipo.',
      prompt: 'Lipa KES {amount} kwa {business} kwa akaunti {account}? Weka PIN', expires: 'Muda unaisha baada ya sekunde {s}',
      pin: 'PIN ya M-PESA', send: 'Tuma', cancel: 'Ghairi', pinInvalid: 'Weka PIN ya tarakimu 4.',
      accepted: 'Umelipa.', declined: 'Umeghairi.', failed: 'Malipo hayakufanikiwa.', network: 'Hitilafu ya mtandao.' }
  };
  var LANG_KEY = 'umeme-virtual-phone-lang';
  var TITLE_PREFIX = BUSINESS + ' · ';
  var lastPrompts = [];
  function fill(text, values) { return text.replace(/\\{(\\w+)\\}/g, function (m, k) { return values[k] === undefined ? m : String(values[k]); }); }
  // The page's language: ?lang=, then the one chosen here before, then the browser's languages.
  var LANGS = ['en', 'sw'];
  function pickLang() {
    var wanted = [new URLSearchParams(location.search).get('lang'), localStorage.getItem(LANG_KEY)]
      .concat((navigator.languages || [navigator.language]).map(function (tag) { return String(tag).toLowerCase().split('-')[0]; }));
    for (var i = 0; i < wanted.length; i++) if (LANGS.indexOf(wanted[i]) >= 0) return wanted[i];
    return 'en';
  }
  var lang = pickLang();
  function w(key) { return WORDS[lang][key]; }
  function applyWords() {
    document.documentElement.lang = lang;
    document.title = TITLE_PREFIX + w('title');
    document.querySelectorAll('[data-w]').forEach(function (node) { node.textContent = w(node.getAttribute('data-w')); });
    document.querySelectorAll('[data-wp]').forEach(function (node) { node.setAttribute('placeholder', w(node.getAttribute('data-wp'))); });
    document.querySelectorAll('[data-wa]').forEach(function (node) { node.setAttribute('aria-label', w(node.getAttribute('data-wa'))); });
    document.querySelectorAll('[data-lang]').forEach(function (b) { b.setAttribute('aria-pressed', String(b.getAttribute('data-lang') === lang)); });
  }
  document.querySelectorAll('[data-lang]').forEach(function (b) {
    b.addEventListener('click', function () {
      lang = b.getAttribute('data-lang');
      localStorage.setItem(LANG_KEY, lang);
      applyWords();
      rerender();
    });
  });
  function rerender() { render(lastPrompts); }
  var phoneInput = document.getElementById('phone');
  var list = document.getElementById('prompts');
  var statusLine = document.getElementById('status');
  var params = new URLSearchParams(location.search);
  phoneInput.value = params.get('phone') || localStorage.getItem('umeme-virtual-phone') || '';
  var busy = false;

  function el(tag, cls, text) {
    var node = document.createElement(tag);
    if (cls) node.className = cls;
    if (text !== undefined) node.textContent = text;
    return node;
  }

  function render(prompts) {
    if (busy) return;
    lastPrompts = prompts;
    list.replaceChildren();
    if (prompts.length === 0) { list.appendChild(el('p', 'empty', w('none'))); return; }
    prompts.forEach(function (p) {
      var card = el('section', 'prompt');
      var text = el('p', '', fill(w('prompt'), { amount: p.amountKes, business: '\\u0001', account: '\\u0002' }));
      // The business name and account are data, not words: shown as sent and marked untranslatable.
      text.replaceChildren.apply(text, text.textContent.split(/(\\u0001|\\u0002)/).map(function (part) {
        if (part !== '\\u0001' && part !== '\\u0002') return document.createTextNode(part);
        var data = el('span', '', part === '\\u0001' ? p.businessName : p.accountReference);
        data.setAttribute('translate', 'no');
        return data;
      }));
      card.appendChild(text);
      card.appendChild(el('div', 'meta', fill(w('expires'), { s: Math.ceil(p.expiresInMs / 1000) })));
      var pin = el('input');
      pin.type = 'password'; pin.inputMode = 'numeric'; pin.maxLength = 4; pin.placeholder = w('pin');
      pin.autocomplete = 'off'; pin.setAttribute('aria-label', w('pin'));
      card.appendChild(pin);
      var actions = el('div', 'actions');
      var accept = el('button', 'accept', w('send'));
      var decline = el('button', 'decline', w('cancel'));
      accept.type = 'button'; decline.type = 'button';
      accept.addEventListener('click', function () {
        if (!/^\\d{4}$/.test(pin.value)) { statusLine.textContent = w('pinInvalid'); pin.focus(); return; }
        answer(p.checkoutRequestId, 'accept', { pin: pin.value }, [accept, decline]);
      });
      decline.addEventListener('click', function () {
        answer(p.checkoutRequestId, 'decline', {}, [accept, decline]);
      });
      pin.addEventListener('focus', function () { busy = true; });
      pin.addEventListener('blur', function () { busy = false; });
      actions.appendChild(accept); actions.appendChild(decline);
      card.appendChild(actions);
      list.appendChild(card);
    });
  }

  function answer(id, action, body, buttons) {
    buttons.forEach(function (b) { b.disabled = true; });
    fetch('prompts/' + encodeURIComponent(id) + '/' + action, {
      method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body)
    }).then(function (res) { return res.json(); }).then(function (result) {
      // M-Pesa's own result text is English: this page says what happened in its own words.
      statusLine.textContent = lang === 'en' && (result.resultDesc || result.errorMessage)
        ? (result.resultDesc || result.errorMessage)
        : w(action === 'decline' ? 'declined' : result.resultCode === 0 ? 'accepted' : 'failed');
      busy = false; refresh();
    }).catch(function () { statusLine.textContent = w('network'); busy = false; });
  }

  function refresh() {
    var phone = phoneInput.value.trim();
    if (!phone) { render([]); return; }
    localStorage.setItem('umeme-virtual-phone', phone);
    fetch('prompts?phone=' + encodeURIComponent(phone)).then(function (res) {
      return res.ok ? res.json() : { prompts: [] };
    }).then(function (data) { render(data.prompts || []); }).catch(function () {});
  }

  phoneInput.addEventListener('change', refresh);
  applyWords();
  refresh();
  setInterval(refresh, 1000);
})();
</script>
</body>
</html>
`;
}
