import { useEffect, useRef, useState } from 'react';
import type { HttpClient } from '../api/http-client';
import { describeReceipt, linesSumCents, receiptFileName, receiptHtml, type Receipt } from '../state/receipt';
import { useI18n } from './i18n-context';

type ReceiptState =
  | { status: 'loading'; receipt: null }
  | { status: 'ready'; receipt: Receipt }
  | { status: 'error'; receipt: null };

/** `GET /api/transactions/:id/receipt` for one transaction (nothing while `id` is null). */
export function useReceipt(http: HttpClient, transactionId: string | null): ReceiptState {
  const [state, setState] = useState<ReceiptState>({ status: 'loading', receipt: null });
  useEffect(() => {
    if (transactionId === null) return;
    let live = true;
    setState({ status: 'loading', receipt: null });
    http
      .receipt(transactionId)
      .then((receipt) => {
        if (live) setState({ status: 'ready', receipt });
      })
      .catch(() => {
        if (live) setState({ status: 'error', receipt: null });
      });
    return () => {
      live = false;
    };
  }, [http, transactionId]);
  return state;
}

/**
 * Prints the receipt alone: the same standalone page as the download, in a hidden frame, so
 * the dashboard around it never reaches the paper.
 */
function printHtml(html: string): void {
  const frame = document.createElement('iframe');
  frame.setAttribute('aria-hidden', 'true');
  frame.tabIndex = -1;
  frame.style.cssText = 'position:fixed;right:0;bottom:0;width:0;height:0;border:0;visibility:hidden';
  frame.srcdoc = html;
  frame.addEventListener('load', () => {
    const win = frame.contentWindow;
    if (!win) return frame.remove();
    win.addEventListener('afterprint', () => frame.remove());
    win.focus();
    win.print();
  });
  document.body.append(frame);
}

function download(receipt: Receipt, html: string): void {
  const url = URL.createObjectURL(new Blob([html], { type: 'text/html;charset=utf-8' }));
  const a = document.createElement('a');
  a.href = url;
  a.download = receiptFileName(receipt);
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}

/** A utility-style receipt: facts, the split of the payment (it sums to the amount), kWh, new balance. */
export function ReceiptView({ receipt }: { receipt: Receipt }) {
  const { t, locale } = useI18n();
  const d = describeReceipt(receipt, t, locale);
  const html = () => receiptHtml(d, locale, t('appName'));
  return (
    <article
      className="receipt"
      data-testid="receipt"
      data-transaction-id={receipt.transactionId}
      data-amount-cents={receipt.amountCents}
      data-lines-sum-cents={linesSumCents(receipt)}
    >
      <header className="receipt-head">
        <span className="receipt-brand" aria-hidden="true">
          ⚡ {t('appName')}
        </span>
        <h3>{d.title}</h3>
      </header>
      <dl className="receipt-facts">
        {d.facts.map((f) => (
          <div key={f.id}>
            <dt>{f.label}</dt>
            <dd
              className={
                f.id === 'mpesa' || f.id === 'phone' || f.id === 'meter' || f.id === 'account'
                  ? 'mono'
                  : undefined
              }
              data-testid={
                f.id === 'mpesa' ? 'receipt-number' : f.id === 'phone' ? 'receipt-phone' : `receipt-${f.id}`
              }
            >
              {f.value}
            </dd>
          </div>
        ))}
      </dl>
      <h4 className="receipt-split-title">{d.splitTitle}</h4>
      {d.lines.length === 0 && <p className="muted small">{t('receiptNoSplit')}</p>}
      <ul className="receipt-split">
        {d.lines.map((l, i) => (
          <li
            key={`${l.code}-${i}`}
            data-testid="receipt-line"
            data-kind={l.kind}
            data-code={l.code}
            data-amount-cents={l.amountCents}
          >
            <span className="receipt-label">{l.label}</span>
            <span className="receipt-value">{l.amount}</span>
            {l.detail && <small className="receipt-detail">{l.detail}</small>}
          </li>
        ))}
        <li className="receipt-total">
          <span className="receipt-label">{d.total.label}</span>
          <span className="receipt-value" data-testid="receipt-amount">
            {d.total.value}
          </span>
        </li>
      </ul>
      <dl className="receipt-sums">
        <div>
          <dt>{d.energy.label}</dt>
          <dd data-testid="receipt-energy">{d.energy.value}</dd>
        </div>
        {d.balance && (
          <div>
            <dt>{d.balance.label}</dt>
            <dd data-testid="receipt-balance">{d.balance.value}</dd>
          </div>
        )}
      </dl>
      {d.info.map((text) => (
        <p key={text} className="receipt-info" data-testid="receipt-info">
          {text}
        </p>
      ))}
      <div className="receipt-actions">
        <button
          className="button"
          type="button"
          onClick={() => printHtml(html())}
          data-testid="receipt-print"
        >
          {t('receiptPrint')}
        </button>
        <button
          className="button"
          type="button"
          onClick={() => download(receipt, html())}
          data-testid="receipt-download"
        >
          {t('receiptDownload')}
        </button>
      </div>
    </article>
  );
}

/** The receipt of a history row, in a modal dialog (Escape or Close closes it). */
export function ReceiptDialog({
  http,
  transactionId,
  onClose,
}: {
  http: HttpClient;
  transactionId: string;
  onClose: () => void;
}) {
  const { t } = useI18n();
  const ref = useRef<HTMLDialogElement>(null);
  const state = useReceipt(http, transactionId);
  useEffect(() => {
    const dialog = ref.current;
    if (dialog && !dialog.open) dialog.showModal();
    return () => dialog?.close();
  }, []);
  return (
    <dialog
      ref={ref}
      className="receipt-dialog"
      data-testid="receipt-dialog"
      data-status={state.status}
      aria-label={t('receiptTitle')}
      onClose={onClose}
      onClick={(e) => {
        // a tap on the backdrop (outside the sheet) closes it
        if (e.target === e.currentTarget) onClose();
      }}
    >
      <div className="receipt-sheet">
        <button
          className="button ghost receipt-close"
          type="button"
          onClick={onClose}
          data-testid="receipt-close"
        >
          {t('receiptClose')}
        </button>
        {state.status === 'ready' ? (
          <ReceiptView receipt={state.receipt} />
        ) : (
          <p className={state.status === 'error' ? 'bad' : 'muted'} role="status">
            {state.status === 'error' ? t('receiptUnavailable') : t('receiptLoading')}
          </p>
        )}
      </div>
    </dialog>
  );
}
