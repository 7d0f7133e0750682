/**
 * Rows of a long benchmark kept in a JSON-lines file as they are measured, so an interrupted
 * `npm run bench -- --resume` continues where it stopped instead of measuring everything again.
 */
import { appendFileSync, existsSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import { dirname } from 'node:path';

export class RowCache<Row> {
  private readonly rows = new Map<string, Row>();

  constructor(
    private readonly file: string | undefined,
    resume: boolean,
  ) {
    if (file === undefined || !existsSync(file)) return;
    if (!resume) {
      rmSync(file);
      return;
    }
    for (const line of readFileSync(file, 'utf8').split('\n')) {
      if (line.trim() === '') continue;
      const { key, row } = JSON.parse(line) as { key: string; row: Row };
      this.rows.set(key, row);
    }
  }

  get(key: string): Row | undefined {
    return this.rows.get(key);
  }

  put(key: string, row: Row): void {
    this.rows.set(key, row);
    if (this.file === undefined) return;
    mkdirSync(dirname(this.file), { recursive: true });
    appendFileSync(this.file, `${JSON.stringify({ key, row })}\n`);
  }
}
