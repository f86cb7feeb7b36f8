/** The statement page's one inline style block; its CSP allows exactly this, by hash. */
export const STATEMENT_STYLE =
  'body{font-family:sans-serif;margin:2rem}table{border-collapse:collapse}td,th{border:1px solid #ccc;padding:4px 8px}';
