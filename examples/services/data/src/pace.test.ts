import { describe, expect, it } from 'vitest';
import { ReplayPace } from './pace';

describe('ReplayPace', () => {
  const clock = () => {
    const c = { t: 1_000, now: () => c.t };
    return c;
  };

  it('schedules step k at a fixed time from the first paced step, the resumed ones unpaced', () => {
    const c = clock();
    const pace = new ReplayPace({ stepMs: 100, stallMs: 500, now: c.now });
    pace.begin(10);
    expect(pace.beforeStep(10)).toBe(0);
    c.t += 30;
    expect(pace.beforeStep(11)).toBe(70);
    c.t += 250; // a slow step: the next ones catch up instead of shifting
    expect(pace.beforeStep(12)).toBe(0);
    expect(pace.beforeStep(13)).toBe(20);
  });

  it('is unhealthy from a failure until the replay moves, and while it has not moved past its schedule', () => {
    const c = clock();
    const pace = new ReplayPace({ stepMs: 0, stallMs: 500, now: c.now });
    pace.begin(0);
    pace.stepped(0);
    c.t += 400;
    expect(pace.healthy()).toBe(true);
    c.t += 200; // 600 ms without a step
    expect(pace.healthy()).toBe(false);
    pace.stepped(1);
    expect(pace.healthy()).toBe(true);
    pace.failed();
    expect(pace.healthy()).toBe(false);
    pace.begin(2);
    expect(pace.healthy()).toBe(false);
    pace.stepped(2);
    expect(pace.healthy()).toBe(true);
    pace.finish();
    c.t += 10_000;
    expect(pace.healthy()).toBe(true);
  });

  it('counts a paced wait as movement: a slow schedule is not a stall', () => {
    const c = clock();
    const pace = new ReplayPace({ stepMs: 2_000, stallMs: 500, now: c.now });
    pace.begin(0);
    pace.beforeStep(0);
    pace.stepped(0);
    expect(pace.beforeStep(1)).toBe(2_000);
    c.t += 1_900;
    expect(pace.healthy()).toBe(true);
    c.t += 700; // due 100 ms + 600 ms ago, not taken
    expect(pace.healthy()).toBe(false);
  });

  it('paced by the bars’ time, waits for each step’s timestamp on the wall clock; a step already past goes at once', () => {
    const c = clock();
    let wall = 50_000;
    const stamps = [52_000, 53_000, 54_000];
    const pace = new ReplayPace({
      stepMs: 100,
      stallMs: 500,
      now: c.now,
      dueAt: (k) => stamps[k] as number,
      wallNow: () => wall,
    });
    pace.begin(0);
    expect(pace.beforeStep(0)).toBe(2_000);
    // Waiting for a bar's time is movement, not a stall.
    c.t += 1_900;
    wall += 1_900;
    expect(pace.healthy()).toBe(true);
    c.t += 100;
    wall += 100;
    pace.stepped(0);
    wall += 1_500; // late: step 1 was due 500 ms ago
    c.t += 1_500;
    expect(pace.beforeStep(1)).toBe(0);
    expect(pace.beforeStep(2)).toBe(500);
  });
});
