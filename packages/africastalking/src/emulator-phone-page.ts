/**
 * The demo's feature phone for SMS and USSD: one self-contained page (no external assets) that
 * shows the SMS the emulator "delivered" to a number and dials the USSD service from it. Text
 * from the server (messages, USSD screens) is inserted with textContent only.
 */

export const AT_PHONE_PAGE_CSP =
  "default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; connect-src 'self'; base-uri 'none'; form-action 'none'";

export function renderAtPhonePage(options: { serviceCode: string }): string {
  const code = options.serviceCode.replace(/[^*#0-9]/g, '');
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Umeme · SMS and USSD virtual phone</title>
<style>
  :root { color-scheme: light; --ink: #1d2330; --blue: #1565c0; }
  * { box-sizing: border-box; }
  body { margin: 0; min-height: 100vh; display: flex; justify-content: center; align-items: flex-start;
    background: #dfe5ec; font: 16px/1.4 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color: var(--ink); }
  .phone { width: 100%; max-width: 380px; min-height: 100vh; background: #fff; padding: 16px;
    box-shadow: 0 0 24px rgba(0,0,0,.15); }
  @media (min-width: 480px) { .phone { margin: 24px 0; min-height: 680px; border-radius: 28px; border: 10px solid #222; } }
  h1 { font-size: 18px; margin: 4px 0 12px; color: var(--blue); }
  h2 { font-size: 15px; margin: 16px 0 8px; }
  label { font-size: 13px; color: #555; }
  .row { display: flex; gap: 8px; margin-bottom: 12px; }
  input { font: inherit; padding: 10px 12px; border: 1px solid #bbb; border-radius: 10px; width: 100%; }
  button { font: inherit; padding: 10px 14px; border: 0; border-radius: 10px; color: #fff; background: var(--blue); cursor: pointer; }
  button.secondary { background: #667; }
  .screen { white-space: pre-wrap; border: 1px solid #cfd8dc; border-radius: 14px; padding: 12px; background: #f5f8fb; min-height: 80px; font-family: ui-monospace, monospace; font-size: 14px; }
  .sms { border: 1px solid #cfd8dc; border-radius: 14px; padding: 10px 12px; margin-bottom: 8px; background: #f7f7fb; }
  .meta { font-size: 12px; color: #667; margin-top: 4px; }
  .empty { color: #667; font-size: 14px; }
  .langs { display: flex; justify-content: flex-end; gap: 4px; margin-bottom: 4px; }
  .langs button { flex: 0 0 auto; padding: 4px 10px; font-size: 13px; background: #eceff1; color: var(--ink); }
  .langs button[aria-pressed="true"] { background: var(--ink); color: #fff; }
</style>
</head>
<body>
<main class="phone">
  <div class="langs" role="group" aria-label="Language" data-wa="language"><button type="button" data-lang="en" translate="no">English</button><button type="button" data-lang="sw" translate="no">Kiswahili</button></div>
  <h1 data-w="heading">SMS and USSD</h1>
  <label for="phone" data-w="phone">Phone number</label>
  <div class="row"><input id="phone" inputmode="tel" autocomplete="tel" placeholder="0712 345 678"></div>
  <h2>USSD</h2>
  <div class="screen" id="screen" role="status" data-w="dialToStart">Dial ${code} to start.</div>
  <div class="row" style="margin-top:8px">
    <input id="answer" inputmode="numeric" placeholder="Reply" aria-label="USSD reply" data-wp="reply" data-wa="ussdReply" disabled>
    <button type="button" id="send" disabled data-w="send">Send</button>
  </div>
  <div class="row"><button type="button" id="dial" data-w="dial">Dial ${code}</button><button type="button" class="secondary" id="hang" data-w="end">End</button></div>
  <h2 data-w="messages">Messages</h2>
  <div id="inbox"><p class="empty" data-w="none">No messages.</p></div>
</main>
<script>
(function () {
  'use strict';
  var CODE = '${code}';
  var WORDS = {
    en: { language: 'Language', title: 'SMS and USSD virtual phone', heading: 'SMS and USSD', phone: 'Phone number',
      dialToStart: 'Dial ' + CODE + ' to start.', reply: 'Reply', ussdReply: 'USSD reply', send: 'Send',
      dial: 'Dial ' + CODE, end: 'End', messages: 'Messages', none: 'No messages.',
      phoneFirst: 'Enter a phone number first.', noAnswer: 'No answer.', network: 'Network error.',
      parts: '{n} part(s)', delivered: 'delivered', sent: 'sent', failed: 'failed', queued: 'queued', rejected: 'rejected' },
    sw: { language: 'Lugha', title: 'Simu ya majaribio ya SMS na USSD', heading: 'SMS na USSD', phone: 'Nambari ya simu',
      dialToStart: 'Piga ' + CODE + ' kuanza.', reply: 'Jibu', ussdReply: 'Jibu la USSD', send: 'Tuma',
      dial: 'Piga ' + CODE, end: 'Kata', messages: 'Ujumbe', none: 'Hakuna ujumbe.',
      phoneFirst: 'Weka nambari ya simu kwanza.', noAnswer: 'Hakuna jibu.', network: 'Hitilafu ya mtandao.',
      parts: 'sehemu {n}', delivered: 'umefika', sent: 'umetumwa', failed: 'umeshindikana', queued: 'kwenye foleni', rejected: 'umekataliwa' }
  };
  var LANG_KEY = 'umeme-sms-phone-lang';
  var TITLE_PREFIX = 'Umeme · ';
  var lastMessages = [];
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
  function w(key) { return WORDS[lang][key] !== undefined ? WORDS[lang][key] : key; }
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
      renderInbox(lastMessages);
    });
  });
  var phoneInput = document.getElementById('phone');
  var screen = document.getElementById('screen');
  var answer = document.getElementById('answer');
  var send = document.getElementById('send');
  var inbox = document.getElementById('inbox');
  var params = new URLSearchParams(location.search);
  phoneInput.value = params.get('phone') || localStorage.getItem('umeme-sms-phone') || '';

  function el(tag, cls, text) {
    var node = document.createElement(tag);
    if (cls) node.className = cls;
    if (text !== undefined) node.textContent = text;
    return node;
  }
  function open(on) { answer.disabled = !on; send.disabled = !on; if (on) answer.focus(); }

  function ussd(input) {
    var phone = phoneInput.value.trim();
    if (!phone) { screen.textContent = w('phoneFirst'); return; }
    var body = { phoneNumber: phone };
    if (input !== undefined) body.input = input;
    open(false);
    fetch('ussd', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) })
      .then(function (res) { return res.json(); })
      .then(function (step) {
        // The USSD screen is the server's, in the customer's SMS language: data, not this page's words.
        screen.removeAttribute('data-w');
        screen.setAttribute('translate', 'no');
        screen.textContent = step.screen || step.message || w('noAnswer');
        open(step.ended === false);
        answer.value = '';
      })
      .catch(function () { screen.textContent = w('network'); });
  }

  function renderInbox(messages) {
    lastMessages = messages;
    inbox.replaceChildren();
    if (messages.length === 0) { inbox.appendChild(el('p', 'empty', w('none'))); return; }
    messages.slice().reverse().forEach(function (m) {
      var card = el('section', 'sms');
      // The message is what the server sent, in the customer's SMS language: data, not this page's words.
      var text = el('div', '', m.text);
      text.setAttribute('translate', 'no');
      card.appendChild(text);
      card.appendChild(el('div', 'meta', new Date(m.atMs).toLocaleTimeString(lang === 'sw' ? 'sw-KE' : 'en-KE', { timeZone: 'Africa/Nairobi' }) + ' · ' + w(m.delivery) + ' · ' + fill(w('parts'), { n: m.parts })));
      inbox.appendChild(card);
    });
  }

  function refresh() {
    var phone = phoneInput.value.trim();
    if (!phone) { renderInbox([]); return; }
    localStorage.setItem('umeme-sms-phone', phone);
    fetch('sms?phone=' + encodeURIComponent(phone)).then(function (res) {
      return res.ok ? res.json() : { messages: [] };
    }).then(function (data) { renderInbox(data.messages || []); }).catch(function () {});
  }

  document.getElementById('dial').addEventListener('click', function () { ussd(); });
  document.getElementById('hang').addEventListener('click', function () { open(false); screen.removeAttribute('translate'); screen.setAttribute('data-w', 'dialToStart'); screen.textContent = w('dialToStart'); });
  send.addEventListener('click', function () { ussd(answer.value.trim()); });
  answer.addEventListener('keydown', function (e) { if (e.key === 'Enter') ussd(answer.value.trim()); });
  phoneInput.addEventListener('change', refresh);
  applyWords();
  refresh();
  setInterval(refresh, 1500);
})();
</script>
</body>
</html>
`;
}
