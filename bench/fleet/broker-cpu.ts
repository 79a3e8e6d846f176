import { readdirSync, readFileSync } from 'node:fs';

/**
 * CPU seconds a local RabbitMQ (its Erlang VM, `beam.smp`) has used so far, from /proc; undefined
 * where that cannot be read (not Linux, or the broker runs elsewhere). Two readings around a timed
 * window give the broker's share of the run, in cores.
 */
export function brokerCpuSeconds(): number | undefined {
  let dirs: string[];
  try {
    dirs = readdirSync('/proc').filter((d) => /^\d+$/.test(d));
  } catch {
    return undefined;
  }
  let ticks = 0;
  let found = false;
  for (const pid of dirs) {
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
      if (!stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')')).startsWith('beam')) continue;
      ticks += statTicks(stat);
      found = true;
    } catch {
      // the process ended while we looked
    }
  }
  return found ? ticks / 100 : undefined; // USER_HZ is 100 on Linux
}

/**
 * CPU seconds every core of this machine has been busy so far (user, nice, system, irq, softirq and
 * steal time in /proc/stat): with the roles' and the broker's own, it tells what else a run cost —
 * the kernel's network stack, other servers. Undefined where /proc/stat cannot be read.
 */
export function machineBusySeconds(): number | undefined {
  try {
    const line = readFileSync('/proc/stat', 'utf8').split('\n')[0] ?? '';
    const [, user, nice, system, , , irq, softirq, steal] = line.trim().split(/\s+/).map(Number);
    const ticks = [user, nice, system, irq, softirq, steal].reduce<number>((a, v) => a + (v ?? 0), 0);
    return Number.isFinite(ticks) ? ticks / 100 : undefined;
  } catch {
    return undefined;
  }
}

/** utime + stime of a `/proc/…/stat` line, in clock ticks (fields 14 and 15, after the command). */
function statTicks(stat: string): number {
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return Number(fields[11]) + Number(fields[12]);
}

/**
 * CPU seconds this process's main thread has used so far (`/proc/self/task/<pid>/stat`), so work on
 * worker threads (a load generator) is not counted; the whole process's where /proc cannot tell.
 */
export function mainThreadCpuSeconds(): number {
  try {
    return statTicks(readFileSync(`/proc/self/task/${process.pid}/stat`, 'utf8')) / 100;
  } catch {
    const { user, system } = process.cpuUsage();
    return (user + system) / 1e6;
  }
}
