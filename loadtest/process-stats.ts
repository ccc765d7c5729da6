// What a broker or registry process under test has used, read from /proc (Linux): the figures the
// benchmarks divide by, without instrumenting the process itself.
import { readFile } from 'node:fs/promises';

/** Resident set size, bytes. */
export async function rssBytes(pid: number): Promise<number> {
  const status = await readFile(`/proc/${pid}/status`, 'utf8');
  return Number(/VmRSS:\s+(\d+) kB/.exec(status)?.[1] ?? 0) * 1024;
}

/** User plus system CPU time, seconds. */
export async function cpuSeconds(pid: number): Promise<number> {
  // /proc/<pid>/stat after the command name: utime and stime are fields 14 and 15, in ticks of 1/100 s.
  const stat = await readFile(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

/**
 * Waits until the process is idle (under `busyFraction` of a core over a second), at most
 * `maxSeconds`: after a burst of writes, the store's compactions and the garbage collector run on,
 * and a measurement started then measures them. Returns the seconds waited.
 */
export async function settle(pid: number, busyFraction = 0.05, maxSeconds = 60): Promise<number> {
  const started = performance.now();
  let before = await cpuSeconds(pid);
  while ((performance.now() - started) / 1000 < maxSeconds) {
    await new Promise((resolve) => setTimeout(resolve, 1000));
    const now = await cpuSeconds(pid);
    if (now - before < busyFraction) break;
    before = now;
  }
  return (performance.now() - started) / 1000;
}
