import { describe, expect, it } from 'vitest';
import { GroupCommit } from './group-commit';

/** A role's gathered inputs and a commit whose end the test decides. */
function role() {
  const gathered: number[] = [];
  const commits: number[][] = [];
  const ends: Array<(error?: Error) => void> = [];
  const group = new GroupCommit(() => {
    commits.push(gathered.splice(0));
    return new Promise<void>((resolve, reject) => {
      ends.push((error) => (error ? reject(error) : resolve()));
    });
  });
  const tick = () => new Promise((resolve) => setTimeout(resolve, 0));
  return { gathered, commits, ends, group, tick };
}

describe('GroupCommit', () => {
  it('serves every request made while a commit runs with one commit, which takes all gathered by then', async () => {
    const { gathered, commits, ends, group, tick } = role();
    gathered.push(1);
    const first = group.request();
    await tick();
    expect(commits).toEqual([[1]]);

    // Three requests while the first commit runs: one commit after it, with everything.
    gathered.push(2);
    const second = group.request();
    gathered.push(3);
    expect(group.request()).toBe(second);
    gathered.push(4);
    expect(group.request()).toBe(second);
    await tick();
    expect(commits).toEqual([[1]]);

    let secondDone = false;
    void second.then(() => {
      secondDone = true;
    });
    ends[0]?.();
    await first;
    await tick();
    expect(commits).toEqual([[1], [2, 3, 4]]);
    expect(secondDone).toBe(false);

    // A request once the waiting commit started is a new commit, after it.
    gathered.push(5);
    const third = group.request();
    expect(third).not.toBe(second);
    ends[1]?.();
    await second;
    await tick();
    expect(commits).toEqual([[1], [2, 3, 4], [5]]);
    let settled = false;
    void group.settled().then(() => {
      settled = true;
    });
    await tick();
    expect(settled).toBe(false);
    ends[2]?.();
    await third;
    await group.settled();
  });

  it('a failed commit fails the ones after it and settled()', async () => {
    const { gathered, ends, group, tick } = role();
    gathered.push(1);
    const first = group.request();
    await tick();
    const second = group.request();
    ends[0]?.(new Error('append failed'));
    await expect(first).rejects.toThrow('append failed');
    await expect(second).rejects.toThrow('append failed');
    await expect(group.settled()).rejects.toThrow('append failed');
  });
});
