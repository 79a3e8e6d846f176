import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { renderShadowReport, type ShadowReport } from '@rxtrade/core';

/** Where {@link writeShadowFiles} writes, and the page's title. */
export interface ShadowFilesOptions {
  readonly dir: string;
  /** File name without extension. */
  readonly name: string;
  /** Default "Live vs simulated". */
  readonly title?: string;
}

/**
 * Writes a shadow venue's document and its page: `<dir>/<name>.json` and `<dir>/<name>.html`
 * (core's `renderShadowReport`). Returns both paths.
 */
export async function writeShadowFiles(
  report: ShadowReport,
  options: ShadowFilesOptions,
): Promise<{ readonly json: string; readonly html: string }> {
  const { dir, name, title = 'Live vs simulated' } = options;
  await mkdir(dir, { recursive: true });
  const json = join(dir, `${name}.json`);
  const html = join(dir, `${name}.html`);
  await writeFile(json, `${JSON.stringify(report, null, 2)}\n`);
  await writeFile(html, renderShadowReport(report, { title }));
  return { json, html };
}
