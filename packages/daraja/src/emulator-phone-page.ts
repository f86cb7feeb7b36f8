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
</style>
</head>
<body>
<main class="phone">
  <h1>M-PESA</h1>
  <label for="phone">Phone number</label>
  <div class="row"><input id="phone" inputmode="tel" autocomplete="tel" placeholder="0712 345 678"></div>
  <div id="prompts"><p class="empty">No payment requests.</p></div>
  <p class="status" id="status" role="status"></p>
</main>
<script>
(function () {
  'use strict';
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
    list.replaceChildren();
    if (prompts.length === 0) { list.appendChild(el('p', 'empty', 'No payment requests.')); return; }
    prompts.forEach(function (p) {
      var card = el('section', 'prompt');
      card.appendChild(el('p', '', p.message));
      card.appendChild(el('div', 'meta', 'Expires in ' + Math.ceil(p.expiresInMs / 1000) + ' s'));
      var pin = el('input');
      pin.type = 'password'; pin.inputMode = 'numeric'; pin.maxLength = 4; pin.placeholder = 'M-PESA PIN';
      pin.autocomplete = 'off'; pin.setAttribute('aria-label', 'M-PESA PIN');
      card.appendChild(pin);
      var actions = el('div', 'actions');
      var accept = el('button', 'accept', 'Send');
      var decline = el('button', 'decline', 'Cancel');
      accept.type = 'button'; decline.type = 'button';
      accept.addEventListener('click', function () {
        if (!/^\\d{4}$/.test(pin.value)) { statusLine.textContent = 'Enter a 4-digit PIN.'; pin.focus(); return; }
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
      statusLine.textContent = result.resultDesc || result.errorMessage || 'Done.';
      busy = false; refresh();
    }).catch(function () { statusLine.textContent = 'Network error.'; busy = false; });
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
  refresh();
  setInterval(refresh, 1000);
})();
</script>
</body>
</html>
`;
}
