/** The live figures of a run, as the progress line shows them. */
export interface RunFigures {
  readonly phase: string;
  readonly produced: number;
  readonly target: number;
  readonly consumed: number;
  /** How far the mapping is behind: `iterator age 1.2 s` (Kinesis) or `offset lag 340` (Kafka). */
  readonly lag: string;
  readonly windowsClosed: number;
  readonly late: number;
  readonly deadLettered: number;
  readonly elapsedMs: number;
}

function bar(done: number, total: number, width = 20): string {
  const fraction = total > 0 ? Math.min(1, done / total) : 0;
  const filled = Math.round(fraction * width);
  return `[${'#'.repeat(filled)}${'.'.repeat(width - filled)}]`;
}

/** One progress line: phase, a bar of consumed/target, and the counters. */
export function formatFigures(f: RunFigures): string {
  const seconds = (f.elapsedMs / 1000).toFixed(0);
  return [
    `${f.phase.padEnd(9)} ${bar(f.consumed, f.target)}`,
    `produced ${f.produced}/${f.target}`,
    `consumed ${f.consumed}`,
    f.lag,
    `windows ${f.windowsClosed}`,
    `late ${f.late}`,
    `dead-lettered ${f.deadLettered}`,
    `${seconds} s`,
  ].join(' | ');
}

/**
 * Shows progress without flooding: on a TTY one line redrawn in place every `intervalMs`; elsewhere
 * (CI, a pipe) a plain line every `plainIntervalMs`.
 */
export class ProgressDisplay {
  private timer: NodeJS.Timeout | undefined;
  private lastPlain = 0;
  private stopped = false;
  private readonly tty: boolean;

  constructor(
    private readonly read: () => RunFigures,
    private readonly out: NodeJS.WriteStream = process.stderr,
    private readonly options: { intervalMs?: number; plainIntervalMs?: number; tty?: boolean } = {},
  ) {
    this.tty = options.tty ?? out.isTTY === true;
  }

  start(): void {
    this.timer = setInterval(() => this.draw(false), this.options.intervalMs ?? 500);
    this.timer.unref();
  }

  /** Draws the final state and ends the line; once (a failed run stops it again on the way out). */
  stop(): void {
    if (this.stopped) return;
    this.stopped = true;
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    this.draw(true);
    if (this.tty) this.out.write('\n');
  }

  /** A message above the progress line. */
  log(line: string): void {
    if (this.tty) this.out.write(`\r\x1b[2K${line}\n`);
    else this.out.write(`${line}\n`);
  }

  private draw(force: boolean): void {
    const line = formatFigures(this.read());
    if (this.tty) {
      const width = this.out.columns ?? 160;
      this.out.write(`\r\x1b[2K${line.slice(0, width - 1)}`);
      return;
    }
    const now = Date.now();
    if (!force && now - this.lastPlain < (this.options.plainIntervalMs ?? 10_000)) return;
    this.lastPlain = now;
    this.out.write(`${line}\n`);
  }
}
