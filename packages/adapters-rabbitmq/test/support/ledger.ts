import { appendFileSync, closeSync, openSync, readSync, statSync } from 'node:fs';
import type { DedupeStore } from '../../src/index';

/**
 * A ledger file of applied message ids, one per line, shared between processes. Its append is the
 * handler's effect *and* the dedupe record — one write, so a crash cannot fall between them.
 */
export class Ledger {
  readonly #path: string;
  readonly #ids = new Set<string>();
  #offset = 0;
  #rest = '';

  constructor(path: string) {
    this.#path = path;
    appendFileSync(path, '');
  }

  /** The effect: appends the id (O_APPEND: whole lines, even from several processes). */
  apply(id: string): void {
    appendFileSync(this.#path, `${id}\n`);
    this.#ids.add(id);
  }

  has(id: string): boolean {
    if (this.#ids.has(id)) return true;
    this.#refresh();
    return this.#ids.has(id);
  }

  /** Every line, duplicates included. */
  lines(): string[] {
    this.#refresh();
    return this.#all;
  }

  #all: string[] = [];

  #refresh(): void {
    const size = statSync(this.#path).size;
    if (size <= this.#offset) return;
    const fd = openSync(this.#path, 'r');
    const buffer = Buffer.alloc(size - this.#offset);
    readSync(fd, buffer, 0, buffer.length, this.#offset);
    closeSync(fd);
    this.#offset = size;
    const text = this.#rest + buffer.toString('utf8');
    const parts = text.split('\n');
    this.#rest = parts.pop() ?? '';
    for (const id of parts) {
      this.#ids.add(id);
      this.#all.push(id);
    }
  }

  /** A DedupeStore reading this ledger: `add` has nothing to do, the effect already wrote the id. */
  dedupe(): DedupeStore {
    return { has: (_scope, id) => this.has(id), add: () => {} };
  }
}
