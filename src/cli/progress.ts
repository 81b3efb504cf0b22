/**
 * Run progress on stderr: a live line that redraws itself on a terminal, plain lines elsewhere
 * (CI logs, pipes), so stdout stays free for results.
 */
import type { RunEvent, StageResult } from '../protocol/runEvents';

const SPINNER = ['⠋', '⠙', '⠹', '⠸', '⠼', '⠴', '⠦', '⠧', '⠇', '⠏'];

export class ProgressReporter {
  private total = 0;
  private done = 0;
  private current: { stage: string; since: number; fraction?: number; message?: string } | undefined;
  private timer: NodeJS.Timeout | undefined;
  private frame = 0;
  private lineShown = false;

  constructor(
    private readonly out: NodeJS.WriteStream,
    private readonly live = !!out.isTTY,
  ) {}

  onEvent = (e: RunEvent): void => {
    switch (e.kind) {
      case 'runStarted':
        this.total = e.stages.length;
        this.print(`pipewise: running ${e.pipeline} (${e.stages.length} stage${e.stages.length === 1 ? '' : 's'})${e.backend ? ` on ${e.backend}` : ''}`);
        if (this.live) this.timer = setInterval(() => this.redraw(), 120).unref();
        break;
      case 'stageStarted':
        this.current = { stage: e.stage, since: Date.now() };
        if (this.live) this.redraw();
        else this.print(`[${this.done + 1}/${this.total}] ${e.stage}: running`);
        break;
      case 'stageProgress':
        if (this.current?.stage === e.stage) {
          this.current.fraction = e.fraction ?? this.current.fraction;
          this.current.message = e.message ?? this.current.message;
        }
        if (this.live) this.redraw();
        break;
      case 'stageLog':
        this.print(`  ${e.stage}: ${e.level === 'info' ? '' : `${e.level}: `}${e.message}`);
        break;
      case 'stageMetrics':
        break;
      case 'stageFinished':
        this.done++;
        if (this.current?.stage === e.stage.name) this.current = undefined;
        this.print(`[${this.done}/${this.total}] ${describeStage(e.stage)}`);
        break;
      case 'runFinished':
        this.stop();
        this.print(
          `pipewise: ${e.result.status} in ${seconds(e.result.durationMs)} — ` +
            countBy(e.result.stages.map((s) => s.status)) +
            (e.result.backend ? ` (TensorFlow.js backend: ${e.result.backend})` : ''),
        );
        if (e.result.error) this.print(`pipewise: error: ${e.result.error}`);
        break;
    }
  };

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    this.clearLine();
  }

  private print(line: string): void {
    this.clearLine();
    this.out.write(`${line}\n`);
    if (this.live && this.current) this.redraw();
  }

  private clearLine(): void {
    if (this.live && this.lineShown) {
      this.out.write('\r\x1b[K');
      this.lineShown = false;
    }
  }

  private redraw(): void {
    if (!this.live || !this.current) return;
    const c = this.current;
    this.frame = (this.frame + 1) % SPINNER.length;
    const pct = c.fraction !== undefined ? ` ${Math.round(c.fraction * 100)}%` : '';
    const width = (this.out.columns || 80) - 1;
    const text = `${SPINNER[this.frame]} [${this.done + 1}/${this.total}] ${c.stage}${pct} ${seconds(Date.now() - c.since)}${c.message ? ` — ${c.message}` : ''}`;
    this.out.write(`\r\x1b[K${text.slice(0, width)}`);
    this.lineShown = true;
  }
}

export function describeStage(s: StageResult): string {
  const mark = { succeeded: '✓', cached: '✓', failed: '✗', skipped: '-', cancelled: '✗', pending: ' ', running: ' ' }[s.status];
  const time = s.status === 'succeeded' || s.status === 'failed' || s.status === 'cancelled' ? ` (${seconds(s.durationMs)})` : '';
  return `${mark} ${s.name} ${s.status}${time}${s.error && s.status !== 'skipped' ? `: ${s.error}` : ''}`;
}

function seconds(ms: number): string {
  return ms < 1000 ? `${ms} ms` : `${(ms / 1000).toFixed(1)} s`;
}

function countBy(values: readonly string[]): string {
  const counts = new Map<string, number>();
  for (const v of values) counts.set(v, (counts.get(v) ?? 0) + 1);
  return [...counts].map(([k, n]) => `${n} ${k}`).join(', ');
}
