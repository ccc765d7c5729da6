// Prints an import report: a table with one line per resource and a summary (text), or the whole
// report (json). Contains IDs and password IDs, never passwords.
import type { ImportReport, ReportAction } from './importer.js';

const ACTIONS: ReportAction[] = ['CREATE', 'UPDATE', 'UNCHANGED', 'CONFLICT', 'ERROR'];
/** Counted only when there are any (folders without triggers keep the summary they had). */
const OCCASIONAL: ReportAction[] = ['MANUAL', 'SKIPPED'];

export function summarize(report: ImportReport): Record<string, number> {
  const count = (action: ReportAction) => report.resources.filter((row) => row.action === action).length;
  return Object.fromEntries([
    ...ACTIONS.map((action) => [action.toLowerCase(), count(action)]),
    ...OCCASIONAL.filter((action) => count(action) > 0).map((action) => [action.toLowerCase(), count(action)]),
  ]);
}

export function failed(report: ImportReport): boolean {
  return report.resources.some((row) => row.action === 'CONFLICT' || row.action === 'ERROR');
}

export function renderReport(report: ImportReport, format: 'text' | 'json', generatedFile?: string): string {
  if (format === 'json')
    return `${JSON.stringify({ ...report, summary: summarize(report), generated_passwords_file: generatedFile }, null, 2)}\n`;
  const lines: string[] = [];
  const width = (pick: (row: ImportReport['resources'][number]) => string) =>
    Math.max(4, ...report.resources.map((row) => pick(row).length));
  const [kindWidth, idWidth, nameWidth] = [width((row) => row.kind), width((row) => row.id), width((row) => row.name)];
  lines.push(`${'ACTION'.padEnd(10)} ${'KIND'.padEnd(kindWidth)} ${'ID'.padEnd(idWidth)} ${'NAME'.padEnd(nameWidth)} DETAILS`);
  for (const row of report.resources) {
    const details = row.error ? [`error: ${row.error}`] : [...row.conflicts, ...row.changes];
    if (row.passwords_missing.length) details.push(`no password for ${row.passwords_missing.join(', ')}`);
    if (row.passwords_generated.length) details.push(`generated password for ${row.passwords_generated.join(', ')}`);
    lines.push(
      `${row.action.padEnd(10)} ${row.kind.padEnd(kindWidth)} ${row.id.padEnd(idWidth)} ${row.name.padEnd(nameWidth)} ${details.join('; ')}`.trimEnd(),
    );
  }
  const counts = Object.entries(summarize(report))
    .map(([action, count]) => `${count} ${action}`)
    .join(', ');
  lines.push('', `${counts}${report.dry_run ? ' (dry run: nothing was written)' : ''}`);
  const missing = report.resources.filter((row) => row.passwords_missing.length > 0);
  if (missing.length) {
    lines.push(
      `${missing.length} resource(s) used passwords that Yandex cannot export; pass --passwords-file or --generate-passwords, or rely on their certificates`,
    );
  }
  const generated = report.resources.reduce((sum, row) => sum + row.passwords_generated.length, 0);
  if (generated)
    lines.push(`${generated} new password(s) ${report.dry_run ? 'would be written' : 'written'} to ${generatedFile} (mode 0600)`);
  const manual = report.resources.filter((row) => row.action === 'MANUAL').length;
  if (manual)
    lines.push(
      `${manual} IoT trigger(s) to recreate by hand: run each MANUAL line's command with the URL of an endpoint doing its function's work (docs/migration.md, "Triggers and exports")`,
    );
  for (const note of report.notes) lines.push(`note: ${note}`);
  for (const warning of report.password_warnings) lines.push(`warning: --passwords-file: ${warning}`);
  return `${lines.join('\n')}\n`;
}
