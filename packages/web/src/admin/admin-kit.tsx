/** Small pieces the console pages share: error text, links, lists, file downloads, one-time secrets. */
import { useCallback, useEffect, useRef, useState, type ReactNode } from 'react';
import { navigate } from '../ui/navigation';
import type { DeviceCredentials } from './admin-api';
import { consoleErrorText, useAdminI18n } from './admin-i18n';

/** A failed call in the console's language (the error code's words, never the server's English). */
export const errorText = (err: unknown): string => consoleErrorText(err);

/** The API wants the bearer token, so files are fetched and handed to the browser as a blob. */
export function saveBlob(blob: Blob, filename: string): void {
  const url = URL.createObjectURL(blob);
  const a = document.createElement('a');
  a.href = url;
  a.download = filename;
  document.body.append(a);
  a.click();
  a.remove();
  window.setTimeout(() => URL.revokeObjectURL(url), 10_000);
}

/** Opens an HTML blob (a printable statement) in a new tab. */
export function openBlob(blob: Blob): void {
  const url = URL.createObjectURL(blob);
  window.open(url, '_blank', 'noopener');
  window.setTimeout(() => URL.revokeObjectURL(url), 60_000);
}

export async function copyText(text: string): Promise<boolean> {
  try {
    await navigator.clipboard.writeText(text);
    return true;
  } catch {
    return false;
  }
}

/** A page-level error, announced to screen readers. */
export function ErrorAlert({ error }: { error: string | null }) {
  if (!error) return null;
  return (
    <p className="form-error" role="alert">
      {error}
    </p>
  );
}

/** A table's one-cell row for "nothing here" and "loading". */
/**
 * Live refresh: `run` once, `delayMs` after the first of a burst of signals from `subscribe`
 * (which returns its unsubscribe). `subscribe` and `run` should be stable between renders.
 */
export function useCoalescedRefresh(
  subscribe: (signal: () => void) => () => void,
  run: () => void,
  delayMs = 300,
): void {
  useEffect(() => {
    let timer: number | null = null;
    const off = subscribe(() => {
      if (timer === null)
        timer = window.setTimeout(() => {
          timer = null;
          run();
        }, delayMs);
    });
    return () => {
      off();
      if (timer !== null) window.clearTimeout(timer);
    };
  }, [subscribe, run, delayMs]);
}

/** A row of toggle chips picking one value; each chip's test id is `${testIdPrefix}${id}`. */
export function ChipGroup<V>({
  label,
  options,
  value,
  onChange,
  testIdPrefix,
}: {
  label: string;
  options: readonly { value: V; label: string; id: string }[];
  value: V;
  onChange: (value: V) => void;
  testIdPrefix: string;
}) {
  return (
    <div className="fchips" role="group" aria-label={label}>
      {options.map((o) => (
        <button
          key={o.id}
          type="button"
          className="fchip"
          aria-pressed={value === o.value}
          onClick={() => onChange(o.value)}
          data-testid={`${testIdPrefix}${o.id}`}
        >
          {o.label}
        </button>
      ))}
    </div>
  );
}

/** The "Load more" button under a cursor-paged list. */
export function LoadMore({ onClick, testId }: { onClick: () => void; testId?: string }) {
  const { t } = useAdminI18n();
  return (
    <div className="center pad-block">
      <button type="button" className="button small" onClick={onClick} data-testid={testId}>
        {t('loadMore')}
      </button>
    </div>
  );
}

export function EmptyRow({
  colSpan,
  testId,
  children,
}: {
  colSpan: number;
  testId?: string;
  children: ReactNode;
}) {
  return (
    <tr>
      <td colSpan={colSpan} className="center muted" data-testid={testId}>
        {children}
      </td>
    </tr>
  );
}

/** A link inside the console: a real href for new tabs, client-side navigation for a plain click. */
export function AdminLink({
  to,
  className,
  testId,
  stopPropagation = false,
  data = false,
  children,
}: {
  to: string;
  /** The link's text is data (a meter number, a name), not the app's words: marked translate="no". */
  data?: boolean;
  className?: string;
  testId?: string;
  /** For a link inside a clickable row, so the row does not navigate as well. */
  stopPropagation?: boolean;
  children: ReactNode;
}) {
  return (
    <a
      className={className}
      href={to}
      translate={data ? 'no' : undefined}
      onClick={(e) => {
        e.preventDefault();
        if (stopPropagation) e.stopPropagation();
        navigate(to);
      }}
      data-testid={testId}
    >
      {children}
    </a>
  );
}

/** The search box above a list; pair it with useDebounced. */
export function SearchInput({
  value,
  onChange,
  placeholder,
  label,
  testId,
}: {
  value: string;
  onChange: (value: string) => void;
  placeholder: string;
  label: string;
  testId: string;
}) {
  return (
    <input
      className="admin-input"
      type="search"
      placeholder={placeholder}
      aria-label={label}
      value={value}
      onChange={(e) => onChange(e.target.value)}
      data-testid={testId}
    />
  );
}

/**
 * `value` once it has stopped changing for `ms`, so typing does not send a request per key. The
 * setter settles a value at once (e.g. clearing filters).
 */
export function useDebounced<T>(value: T, ms: number): [T, (v: T) => void] {
  const [settled, setSettled] = useState(value);
  useEffect(() => {
    const id = window.setTimeout(() => setSettled(value), ms);
    return () => window.clearTimeout(id);
  }, [value, ms]);
  return [settled, setSettled];
}

export interface ListPage<T, C> {
  items: T[];
  next: C | null;
}

/**
 * A list read page by page: the first page whenever `fetchPage` changes (wrap it in useCallback
 * with the query as dependencies), more on demand. An answer to an older query is dropped.
 */
export function usePagedList<T, C>(
  fetchPage: (after: C | null) => Promise<ListPage<T, C>>,
  opts: {
    /** Clear the error when a load starts and show an empty list when it fails (else keep the rows). */
    emptyOnError?: boolean;
    /** Called with each first page (not with pages added by `more`). */
    onFirstPage?: (items: T[]) => void;
  } = {},
) {
  const [rows, setRows] = useState<T[] | null>(null);
  const [next, setNext] = useState<C | null>(null);
  const [error, setError] = useState<string | null>(null);
  const query = useRef(0);
  const emptyOnError = opts.emptyOnError ?? false;
  const onFirstPage = useRef(opts.onFirstPage);
  onFirstPage.current = opts.onFirstPage;

  const load = useCallback(() => {
    const mine = ++query.current;
    if (emptyOnError) setError(null);
    fetchPage(null).then(
      (page) => {
        if (mine !== query.current) return;
        setRows(page.items);
        setNext(page.next);
        setError(null);
        onFirstPage.current?.(page.items);
      },
      (err: unknown) => {
        if (mine !== query.current) return;
        if (emptyOnError) setRows([]);
        setError(errorText(err));
      },
    );
  }, [fetchPage, emptyOnError]);

  useEffect(load, [load]);

  const more = () => {
    if (next === null) return;
    const mine = query.current;
    fetchPage(next).then(
      (page) => {
        if (mine !== query.current) return;
        setRows((r) => [...(r ?? []), ...page.items]);
        setNext(page.next);
      },
      (err: unknown) => setError(errorText(err)),
    );
  };

  /**
   * Puts items newer than the list's first one on top, leaving the rest as the operator sees
   * them (a live refresh must not pull a row out from under an open form). Lists are newest first.
   */
  const addNewer = useCallback(
    (key: (item: T) => string) => {
      const mine = query.current;
      fetchPage(null).then(
        (page) => {
          if (mine !== query.current) return;
          setRows((current) => {
            if (current === null) return page.items;
            const seen = new Set(current.map(key));
            const fresh: T[] = [];
            for (const item of page.items) {
              if (seen.has(key(item))) break;
              fresh.push(item);
            }
            return fresh.length > 0 ? [...fresh, ...current] : current;
          });
        },
        () => undefined, // a missed live refresh is made good by the next one or a reload
      );
    },
    [fetchPage],
  );

  return { rows, next, error, load, more, addNewer };
}

export type Notice = { ok: boolean; text: string } | null;

export function NoticeLine({ notice, testId }: { notice: Notice; testId?: string }) {
  if (!notice) return null;
  return (
    <p className={notice.ok ? 'ok-text' : 'form-error'} role="status" data-testid={testId}>
      {notice.text}
    </p>
  );
}

/**
 * A device secret the server will never show again: visible until dismissed, with a copy
 * button. Nothing keeps it after that, not even this component's state.
 */
export function SecretReveal({
  credentials,
  onDismiss,
}: {
  credentials: DeviceCredentials;
  onDismiss: () => void;
}) {
  const [copied, setCopied] = useState<boolean | null>(null);
  const { t } = useAdminI18n();
  return (
    <div className="secret-reveal" role="alert" data-testid="secret-reveal">
      <p className="secret-warning">
        <strong>{t('secretShownOnce')}</strong> {t('secretCopyNow')}
      </p>
      <dl className="secret-facts">
        <dt>{t('secretUsername')}</dt>
        <dd className="mono" data-testid="secret-username">
          {credentials.mqttUsername}
        </dd>
        <dt>{t('secretLabel')}</dt>
        <dd className="mono secret-value" data-testid="secret-value">
          {credentials.mqttPassword}
        </dd>
      </dl>
      <div className="button-row">
        <button
          type="button"
          className="button small primary"
          onClick={() => {
            void copyText(credentials.mqttPassword).then(setCopied);
          }}
          data-testid="secret-copy"
        >
          {copied ? t('secretCopied') : t('secretCopy')}
        </button>
        <button type="button" className="button small ghost" onClick={onDismiss} data-testid="secret-dismiss">
          {t('secretDone')}
        </button>
      </div>
      {copied === false && <p className="form-error small-text">{t('secretClipboardRefused')}</p>}
    </div>
  );
}

/** Issues a new device secret after a confirmation, then reveals it once. */
export function RotateSecret({
  meterNo,
  rotate,
  onRotated,
}: {
  meterNo: string;
  rotate: (meterNo: string) => Promise<DeviceCredentials>;
  onRotated?: () => void;
}) {
  const [phase, setPhase] = useState<'idle' | 'confirm' | 'busy'>('idle');
  const [credentials, setCredentials] = useState<DeviceCredentials | null>(null);
  const [error, setError] = useState<string | null>(null);
  const { t } = useAdminI18n();

  if (credentials) return <SecretReveal credentials={credentials} onDismiss={() => setCredentials(null)} />;
  if (phase === 'idle') {
    return (
      <button
        type="button"
        className="button small"
        onClick={() => {
          setPhase('confirm');
          setError(null);
        }}
        data-testid="rotate-secret"
        data-meter={meterNo}
      >
        {t('rotateSecret')}
      </button>
    );
  }
  return (
    <div className="confirm-box" data-testid="rotate-confirm-box">
      <p className="small-text">
        {t('rotateExplainBefore')}{' '}
        <span className="mono" translate="no">
          {meterNo}
        </span>
        {t('rotateExplainAfter')}
      </p>
      <div className="button-row">
        <button
          type="button"
          className="button small danger primary"
          disabled={phase === 'busy'}
          onClick={() => {
            setPhase('busy');
            rotate(meterNo).then(
              (c) => {
                setCredentials(c);
                setPhase('idle');
                onRotated?.();
              },
              (err: unknown) => {
                setError(errorText(err));
                setPhase('confirm');
              },
            );
          }}
          data-testid="rotate-confirm"
        >
          {phase === 'busy' ? t('rotating') : t('rotateNow')}
        </button>
        <button type="button" className="button small ghost" onClick={() => setPhase('idle')}>
          {t('cancel')}
        </button>
      </div>
      {error && <p className="form-error small-text">{error}</p>}
    </div>
  );
}
