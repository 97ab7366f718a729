// Server CPU time from /proc/<pid>/stat (utime + stime), so figures hold on a shared machine:
// what other processes do changes wall time, not the CPU the server itself spent.
import { readFileSync } from 'node:fs'

/** Clock ticks per second of /proc times; 100 on every Linux this runs on (getconf CLK_TCK). */
const TICKS_PER_SECOND = 100

/** CPU seconds (user + system) the process has used so far. */
export function cpuSeconds(pid) {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
  // The command name (field 2) may hold spaces and parentheses: count fields after the last ')'.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
  // fields[0] is field 3 (state); utime is field 14, stime field 15.
  return (Number(fields[11]) + Number(fields[12])) / TICKS_PER_SECOND
}

/** Resident set size in bytes, from /proc/<pid>/status. */
export function rssBytes(pid) {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8')
  const match = /VmRSS:\s+(\d+) kB/.exec(status)
  return match ? Number(match[1]) * 1024 : NaN
}

/** Measures the CPU `pid` spends while `work` runs. */
export async function measureCpu(pid, work) {
  const before = cpuSeconds(pid)
  const started = performance.now()
  const result = await work()
  return { result, cpuSeconds: cpuSeconds(pid) - before, wallSeconds: (performance.now() - started) / 1000 }
}
