import { describe, expect, it } from 'vitest';
import { ENGINE_METRICS } from './metric-names';
import { DROPPED_SERIES_METRIC } from './prometheus-metrics';
import { loadDashboard } from './test-fixtures/dashboard';

describe('docs/grafana-dashboard.json', () => {
  const { panels, expressions } = loadDashboard();
  const known = new Set([
    ...Object.values(ENGINE_METRICS).map((m) => `rxtrade_${m.name}`),
    `rxtrade_${DROPPED_SERIES_METRIC}`,
  ]);

  it('only queries metrics that exist', () => {
    const used = new Set(
      expressions.flatMap((e) =>
        [...e.matchAll(/\brxtrade_\w+/g)].map((m) => m[0].replace(/_(bucket|sum|count)$/, '')),
      ),
    );
    expect([...used].filter((name) => !known.has(name))).toEqual([]);
  });

  it('shows every engine metric', () => {
    const all = expressions.join('\n');
    expect([...known].filter((name) => !all.includes(name))).toEqual([]);
  });

  it('gives every panel a title and every graph a query', () => {
    for (const panel of panels) {
      expect(panel.title).not.toBe('');
      if (panel.type !== 'row') expect(panel.targets?.length, panel.title).toBeGreaterThan(0);
    }
  });
});
