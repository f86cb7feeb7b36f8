/**
 * The one inline style block of the printable receipt the dashboard builds. Printed through a
 * same-origin frame, that page lives under the dashboard's Content-Security-Policy, which
 * allows exactly this block by its hash: the server hashes this constant, so the two cannot
 * drift apart.
 */
export const RECEIPT_STYLE = `
body{font:15px/1.45 system-ui,sans-serif;color:#15201a;max-width:420px;margin:24px auto;padding:0 16px}
h1{font-size:18px;margin:0 0 4px}h2{font-size:13px;text-transform:uppercase;letter-spacing:.04em;color:#5a655f;margin:18px 0 6px}
table{width:100%;border-collapse:collapse}th{text-align:left;font-weight:400;color:#5a655f;padding:5px 0;vertical-align:top}
td{text-align:right;font-variant-numeric:tabular-nums;padding:5px 0 5px 12px;white-space:nowrap;vertical-align:top}
th small{display:block;font-size:12px}.total th,.total td{font-weight:700;color:#15201a;border-top:2px solid #15201a}
p.info{background:#e3f1ea;padding:8px 10px;border-radius:8px}
`;
