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
</style>
</head>
<body>
<main class="phone">
  <h1>SMS and USSD</h1>
  <label for="phone">Phone number</label>
  <div class="row"><input id="phone" inputmode="tel" autocomplete="tel" placeholder="0712 345 678"></div>
  <h2>USSD</h2>
  <div class="screen" id="screen" role="status">Dial ${code} to start.</div>
  <div class="row" style="margin-top:8px">
    <input id="answer" inputmode="numeric" placeholder="Reply" aria-label="USSD reply" disabled>
    <button type="button" id="send" disabled>Send</button>
  </div>
  <div class="row"><button type="button" id="dial">Dial ${code}</button><button type="button" class="secondary" id="hang">End</button></div>
  <h2>Messages</h2>
  <div id="inbox"><p class="empty">No messages.</p></div>
</main>
<script>
(function () {
  'use strict';
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
    if (!phone) { screen.textContent = 'Enter a phone number first.'; return; }
    var body = { phoneNumber: phone };
    if (input !== undefined) body.input = input;
    open(false);
    fetch('ussd', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) })
      .then(function (res) { return res.json(); })
      .then(function (step) {
        screen.textContent = step.screen || step.message || 'No answer.';
        open(step.ended === false);
        answer.value = '';
      })
      .catch(function () { screen.textContent = 'Network error.'; });
  }

  function renderInbox(messages) {
    inbox.replaceChildren();
    if (messages.length === 0) { inbox.appendChild(el('p', 'empty', 'No messages.')); return; }
    messages.slice().reverse().forEach(function (m) {
      var card = el('section', 'sms');
      card.appendChild(el('div', '', m.text));
      card.appendChild(el('div', 'meta', new Date(m.atMs).toLocaleTimeString() + ' · ' + m.delivery + ' · ' + m.parts + ' part(s)'));
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
  document.getElementById('hang').addEventListener('click', function () { open(false); screen.textContent = 'Dial ${code} to start.'; });
  send.addEventListener('click', function () { ussd(answer.value.trim()); });
  answer.addEventListener('keydown', function (e) { if (e.key === 'Enter') ussd(answer.value.trim()); });
  phoneInput.addEventListener('change', refresh);
  refresh();
  setInterval(refresh, 1500);
})();
</script>
</body>
</html>
`;
}
