import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

interface Panel {
  readonly type: string;
  readonly title: string;
  readonly targets?: readonly { readonly expr: string }[];
}

/** docs/grafana-dashboard.json's panels and every PromQL expression in it, variables substituted. */
export function loadDashboard(): { panels: Panel[]; expressions: string[] } {
  const path = fileURLToPath(new URL('../../../../docs/grafana-dashboard.json', import.meta.url));
  const dashboard = JSON.parse(readFileSync(path, 'utf8')) as { panels: Panel[] };
  const expressions = dashboard.panels
    .flatMap((p) => p.targets ?? [])
    .map((t) =>
      t.expr
        .replaceAll('$__rate_interval', '1m')
        .replaceAll('$job', '.*')
        .replaceAll('$account', '.*')
        .replaceAll('$strategy', '.*'),
    );
  return { panels: dashboard.panels, expressions };
}
