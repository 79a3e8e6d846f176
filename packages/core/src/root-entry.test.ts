import { readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const SRC = dirname(fileURLToPath(import.meta.url));

/** Every module the entry reaches through static imports and re-exports, with what each imports. */
function graph(entry: string): Map<string, string[]> {
  const seen = new Map<string, string[]>();
  const visit = (file: string): void => {
    if (seen.has(file)) return;
    const text = readFileSync(file, 'utf8');
    const specifiers = [...text.matchAll(/(?:import|export)\s[^'"]*?from\s+'([^']+)'/g)].map(
      (m) => m[1] as string,
    );
    seen.set(file, specifiers);
    for (const s of specifiers)
      if (s.startsWith('.'))
        visit(`${resolve(dirname(file), s)}.ts`.replace(/\/index\.ts\.ts$/, '/index.ts'));
  };
  visit(entry);
  return seen;
}

describe('the root entry', () => {
  it('reaches no Node.js module (files and worker threads are in @rxtrade/core/node)', () => {
    const offenders: string[] = [];
    for (const [file, specifiers] of graph(join(SRC, 'index.ts')))
      for (const s of specifiers)
        if (s.startsWith('node:')) offenders.push(`${file.slice(SRC.length + 1)} → ${s}`);
    expect(offenders).toEqual([]);
  });

  it('the node entry does reach them (the check can fail)', () => {
    const all = [...graph(join(SRC, 'node.ts')).values()].flat();
    expect(all).toContain('node:worker_threads');
  });
});
