/** Types of licenses.mjs, for the tests that read the reports. */
export interface LicenseEntry {
  name: string;
  version: string;
  identifier: string | null;
  text?: string | null;
}
export const PERMISSIVE_LICENSES: Set<string>;
export function normaliseLicense(manifest: Record<string, unknown>): string | null;
export function licenseProblem(entry: LicenseEntry): string | null;
export function productionPackages(root: string): LicenseEntry[];
export function renderReport(title: string, intro: string, entries: LicenseEntry[]): string;
export function parseReport(markdown: string): LicenseEntry[];
export function writeServerLicenseReport(root: string, file: string): { file: string; count: number };
