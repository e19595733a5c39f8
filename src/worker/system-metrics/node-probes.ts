/**
 * The probes of Node, Deno and Bun: what MLflow's psutil monitor reads
 * (CPU, system memory, disk of the root file system, network counters on
 * Linux), computed as psutil computes it, plus the process's memory and the
 * SQLite store's size. Loaded only there: the runtime's modules are
 * imported by name at run time, never bundled.
 */
import { EDGE_SYSTEM_METRICS as EDGE, MLFLOW_SYSTEM_METRICS as MLFLOW } from '../../schema/system-metrics.js';
import type { ProbeContext, Sample } from './probes.js';

interface Os {
  cpus(): { times: { user: number; nice: number; sys: number; idle: number; irq: number } }[];
  totalmem(): number;
  freemem(): number;
  availableParallelism?(): number;
  platform(): string;
}
interface Fs {
  statfs?(path: string): Promise<{ bsize: number; blocks: number; bfree: number; bavail: number }>;
  stat(path: string): Promise<{ size: number }>;
  readFile(path: string, encoding: 'utf8'): Promise<string>;
}
interface Process {
  memoryUsage?(): { rss: number };
  cwd(): string;
}

const MB = 1e6;
const load = (name: string) => import(/* @vite-ignore */ name) as Promise<unknown>;

/** CPU times of every core, summed: busy and total milliseconds since boot. */
function cpuTimes(os: Os): { busy: number; total: number } {
  let busy = 0;
  let total = 0;
  for (const { times } of os.cpus()) {
    const all = times.user + times.nice + times.sys + times.idle + times.irq;
    total += all;
    busy += all - times.idle;
  }
  return { busy, total };
}

/** Bytes received and sent by every interface since boot (psutil's net_io_counters), Linux only. */
async function networkBytes(fs: Fs): Promise<{ received: number; sent: number } | undefined> {
  const text = await fs.readFile('/proc/net/dev', 'utf8').catch(() => undefined);
  if (text === undefined) return undefined;
  let received = 0;
  let sent = 0;
  for (const line of text.split('\n').slice(2)) {
    const colon = line.lastIndexOf(':');
    if (colon < 0) continue;
    const fields = line
      .slice(colon + 1)
      .trim()
      .split(/\s+/)
      .map(Number);
    received += fields[0] ?? 0;
    sent += fields[8] ?? 0;
  }
  return { received, sent };
}

/** A probe adding this runtime's numbers to a sample; baselines (CPU, network) are taken now. */
export async function createNodeProbes(context: ProbeContext): Promise<(sample: Sample) => Promise<void>> {
  const [os, fs] = (await Promise.all([load('node:os'), load('node:fs/promises')])) as [Os, Fs];
  const proc = (globalThis as { process?: Process }).process;
  const root = os.platform() === 'win32' ? `${(proc?.cwd() ?? 'C:').slice(0, 2)}\\` : '/';
  let cpu = cpuTimes(os);
  const network = await networkBytes(fs);

  return async ({ metrics }) => {
    const now = cpuTimes(os);
    const total = now.total - cpu.total;
    // psutil.cpu_percent(): the busy share of CPU time since the last sample, all cores together (0 when none passed).
    metrics.set(
      MLFLOW.cpuUtilization,
      total > 0 ? Math.min(100, Math.max(0, ((now.busy - cpu.busy) / total) * 100)) : 0,
    );
    cpu = now;
    const totalMem = os.totalmem();
    // os.freemem() is the kernel's available memory (Linux MemAvailable): psutil's used is total − available.
    const used = totalMem - os.freemem();
    metrics.set(MLFLOW.memoryUsage, used / MB);
    if (totalMem > 0) metrics.set(MLFLOW.memoryPercentage, (used / totalMem) * 100);
    metrics.set(EDGE.hardwareConcurrency, os.availableParallelism?.() ?? os.cpus().length);
    const memory = proc?.memoryUsage?.();
    if (memory !== undefined) metrics.set(EDGE.processRss, memory.rss / MB);
    const [disk, net, store] = await Promise.all([
      fs.statfs?.(root).catch(() => undefined),
      network === undefined ? undefined : networkBytes(fs),
      storeBytes(fs, context.storeFiles),
    ]);
    if (disk !== undefined) {
      // psutil.disk_usage: used counts what root may use too; free and the percentage are the user's.
      const used = (disk.blocks - disk.bfree) * disk.bsize;
      const free = disk.bavail * disk.bsize;
      metrics.set(MLFLOW.diskUsage, used / MB);
      metrics.set(MLFLOW.diskAvailable, free / MB);
      if (used + free > 0) metrics.set(MLFLOW.diskUsagePercentage, (used / (used + free)) * 100);
    }
    if (network !== undefined && net !== undefined) {
      // Since the monitor started, as MLflow's NetworkMonitor.
      metrics.set(MLFLOW.networkReceive, (net.received - network.received) / MB);
      metrics.set(MLFLOW.networkTransmit, (net.sent - network.sent) / MB);
    }
    if (store !== undefined) metrics.set(EDGE.storageUsage, store / MB);
    if (context.storeQuota !== undefined) metrics.set(EDGE.storageQuota, context.storeQuota / MB);
  };
}

/** The summed sizes of the store's files that exist (a WAL file comes and goes). */
async function storeBytes(fs: Fs, files: readonly string[] | undefined): Promise<number | undefined> {
  if (files === undefined || files.length === 0) return undefined;
  const sizes = await Promise.all(
    files.map((f) =>
      fs.stat(f).then(
        (s) => s.size,
        () => 0,
      ),
    ),
  );
  return sizes.reduce((a, b) => a + b, 0);
}
