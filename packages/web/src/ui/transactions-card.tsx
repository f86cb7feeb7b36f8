import { useState } from 'react';
import type { TransactionItem } from '../api/api-types';
import type { HttpClient } from '../api/http-client';
import type { TransactionsState } from '../live/live-session';
import type { MessageKey } from '../i18n/dictionary';
import { en } from '../i18n/dictionary';
import { formatDateTime, formatKes, formatKwh } from '../state/format';
import { useI18n } from './i18n-context';
import { ReceiptDialog } from './receipt-view';

function typeKey(type: string): MessageKey {
  const key = `tx_${type}`;
  return key in en ? (key as MessageKey) : 'tx_payment';
}

/** Purchases have a receipt: completed credits that brought money. */
function hasReceipt(tx: TransactionItem): boolean {
  return tx.status === 'completed' && tx.amountKes > 0;
}

export function TransactionsCard({
  transactions,
  http,
}: {
  transactions: TransactionsState | undefined;
  http: HttpClient;
}) {
  const { t, locale } = useI18n();
  const [openId, setOpenId] = useState<string | null>(null);
  const row = (tx: TransactionItem) => (
    <>
      <div className="tx-main">
        <span className="tx-type">{t(typeKey(tx.type))}</span>
        <span className="muted small">{formatDateTime(locale, tx.atMs)}</span>
      </div>
      <div className="tx-amounts">
        <strong className={tx.energyKwh >= 0 ? 'plus' : 'minus'}>
          {tx.energyKwh >= 0 ? '+' : ''}
          {formatKwh(locale, tx.energyKwh)}
        </strong>
        {tx.amountKes !== 0 && <span className="muted small">{formatKes(locale, tx.amountKes)}</span>}
        {tx.status === 'pending' && <span className="badge">{t('tx_pending')}</span>}
        {tx.status === 'failed' && <span className="badge bad">{t('tx_failed')}</span>}
      </div>
    </>
  );
  let body;
  if (!transactions || (transactions.status === 'loading' && transactions.items.length === 0)) {
    body = <p className="muted">{t('loading')}</p>;
  } else if (transactions.items.length === 0) {
    body = (
      <p className="muted" data-testid="transactions-empty">
        {transactions.status === 'ready' ? t('transactionsEmpty') : t('transactionsUnavailable')}
      </p>
    );
  } else {
    body = (
      <ul className="tx-list">
        {transactions.items.map((tx) => (
          <li key={tx.id} className={`tx tx-${tx.status}`} data-testid="transaction" data-type={tx.type}>
            {hasReceipt(tx) ? (
              <button
                type="button"
                className="tx-open"
                onClick={() => setOpenId(tx.id)}
                aria-haspopup="dialog"
                title={t('receiptOpen')}
                data-testid="transaction-open"
                data-transaction-id={tx.id}
              >
                {row(tx)}
                <span className="tx-chevron" aria-hidden="true">
                  ›
                </span>
              </button>
            ) : (
              row(tx)
            )}
          </li>
        ))}
      </ul>
    );
  }
  return (
    <section className="card tx-card" aria-labelledby="tx-heading">
      <h2 id="tx-heading" className="card-title">
        {t('transactions')}
      </h2>
      {body}
      {openId !== null && (
        <ReceiptDialog http={http} transactionId={openId} onClose={() => setOpenId(null)} />
      )}
    </section>
  );
}
