// Where imported passwords come from. Yandex returns password IDs only, so the plaintext comes from
// the user's own records (`--passwords-file`, CSV `entity_id,password[,password_id]`) or is newly
// generated (`--generate-passwords`, written as the same CSV with mode 0600). Passwords never go to
// the terminal or the logs.
import { appendFileSync, chmodSync, openSync, closeSync, fstatSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { parse } from 'csv-parse/sync';
import { stringify } from 'csv-stringify/sync';

export interface SuppliedPassword {
  entity_id: string;
  password: string;
  /** Which of the entity's Yandex password IDs this is; the next unused one when absent. */
  password_id?: string;
}

const HEADER = ['entity_id', 'password', 'password_id'];

export async function readPasswordsFile(file: string): Promise<SuppliedPassword[]> {
  const rows = parse(await readFile(file, 'utf8'), { skip_empty_lines: true, relax_column_count: true }) as string[][];
  if (rows[0]?.[0] === HEADER[0]) rows.shift();
  return rows.map((row, index) => {
    const [entity_id, password, password_id] = row;
    if (!entity_id || !password) throw new Error(`${file}: row ${index + 1} needs entity_id,password[,password_id]`);
    return { entity_id: entity_id.trim(), password, password_id: password_id?.trim() || undefined };
  });
}

/** Appends rows as they are stored, so a rerun never overwrites passwords handed out earlier. */
export class GeneratedPasswordsFile {
  constructor(readonly file: string) {}

  append(rows: SuppliedPassword[]): void {
    if (rows.length === 0) return;
    const fd = openSync(this.file, 'a', 0o600);
    try {
      chmodSync(this.file, 0o600);
      const empty = fstatSync(fd).size === 0;
      const records = rows.map((row) => [row.entity_id, row.password, row.password_id ?? '']);
      appendFileSync(fd, stringify(empty ? [HEADER, ...records] : records));
    } finally {
      closeSync(fd);
    }
  }
}
