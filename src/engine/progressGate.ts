/**
 * How often a stage's progress reaches the run's listeners. Training reports every epoch (hundreds
 * a second on a small table); each report travels to the editor, the status bar and the graph, so an
 * unthrottled stream floods the worker → extension → webview channels and delays everything queued
 * behind it (a graph opened during the run did not draw within a minute). A report passes when it
 * starts or ends the stage (fraction 0 or 1, or none), when its message says something new (its
 * words, numbers aside, changed), or when `intervalMs` has passed since the last one that did.
 */
export class ProgressGate {
  private last = -Infinity;
  private lastWords: string | undefined;

  constructor(
    private readonly intervalMs = 100,
    private readonly now: () => number = () => performance.now(),
  ) {}

  pass(fraction: number | undefined, message: string | undefined): boolean {
    const t = this.now();
    const words = message?.replace(/[\d.,:/%]+/g, '#');
    const due =
      fraction === undefined || fraction <= 0 || fraction >= 1 || words !== this.lastWords || t - this.last >= this.intervalMs;
    if (!due) return false;
    this.last = t;
    this.lastWords = words;
    return true;
  }
}
