import { describe, expect, it } from 'vitest';
import { runKillSwitch } from './scenario';

describe('example: the kill switch', () => {
  it('halts, cancels and flattens in one call; only cancels pass until the operator resumes', async () => {
    const outcome = await runKillSwitch();
    const { kill, states, events, killIndex, resumeIndex } = outcome;
    expect(kill.canceled).toBeGreaterThan(0);
    expect(kill.flattenOrders.length).toBeGreaterThan(0);
    expect(kill.flattenOrders.every((o) => o.status === 'accepted' && o.side === 'sell')).toBe(true);
    expect(outcome.positionAfterFlatten).toBe(0);
    expect(states.slice(1).map((s) => s.state)).toEqual(['REDUCING', 'HALTED', 'ACTIVE']);
    const flattenIds = new Set(kill.flattenOrders.map((o) => o.clientOrderId));
    const halted = events.slice(killIndex, resumeIndex);
    // Nothing reached the venue while halted but the flattening orders, sent in the kill call.
    expect(halted.filter((e) => e.type === 'OrderSubmitted' && !flattenIds.has(e.clientOrderId))).toEqual([]);
    expect(halted.filter((e) => e.type === 'OrderDenied').length).toBeGreaterThan(100);
    expect(halted.every((e) => e.type !== 'OrderDenied' || e.reason === 'TRADING_HALTED')).toBe(true);
    // Trading resumed.
    expect(events.slice(resumeIndex).some((e) => e.type === 'OrderSubmitted')).toBe(true);
  });
});
