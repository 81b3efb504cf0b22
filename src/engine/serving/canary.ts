/**
 * Canary traffic (Vertex AI's traffic split between deployed versions): `champion=90,challenger=10`
 * sends each request that names no version to one target, chosen by a stable hash of its request
 * id, so a client that sends the same `X-Request-Id` again meets the same version, and the shares
 * hold over many requests. A target is an alias (followed live) or a version number.
 */
import { createHash } from 'node:crypto';
import { aliasNameProblem } from './aliases';

export interface SplitShare {
  /** An alias, or a version number. */
  readonly target: string | number;
  /** Percent, 1–100; the shares add up to 100. */
  readonly percent: number;
}

/** `NAME=PCT,NAME=PCT…` as `--split` and tasks.json take it; throws a sentence naming the part at fault. */
export function parseSplit(text: string): SplitShare[] {
  const shares: SplitShare[] = [];
  for (const part of text.split(',').map((p) => p.trim())) {
    const m = /^([^=\s]+)=(\d+(?:\.\d+)?)$/.exec(part);
    if (!m) throw new Error(`--split takes TARGET=PERCENT,… (an alias or a version, then a percent), got ${JSON.stringify(part)} in ${JSON.stringify(text)}`);
    const [, name, pct] = m as unknown as [string, string, string];
    const percent = Number(pct);
    if (!Number.isInteger(percent) || percent < 1 || percent > 100) throw new Error(`--split: the share of '${name}' must be a whole percent from 1 to 100, got ${pct}`);
    let target: string | number;
    if (/^\d+$/.test(name)) target = Number(name);
    else {
      const problem = aliasNameProblem(name);
      if (problem) throw new Error(`--split: ${problem}`);
      target = name;
    }
    if (shares.some((s) => s.target === target)) throw new Error(`--split names '${name}' twice`);
    shares.push({ target, percent });
  }
  if (shares.length < 2) throw new Error(`--split needs at least two targets, got ${JSON.stringify(text)}`);
  const total = shares.reduce((s, x) => s + x.percent, 0);
  if (total !== 100) throw new Error(`--split: the shares must add up to 100, got ${total} in ${JSON.stringify(text)}`);
  return shares;
}

export function formatSplit(shares: readonly SplitShare[]): string {
  return shares.map((s) => `${s.target}=${s.percent}`).join(',');
}

/** Where a request id falls in [0, 100): the first 48 bits of its SHA-256, the same in every process. */
export function splitPoint(requestId: string): number {
  const h = createHash('sha256').update(requestId).digest();
  return (h.readUIntBE(0, 6) / 2 ** 48) * 100;
}

/**
 * The share a request id falls in, among the shares that can answer now (`usable`): when a target
 * cannot (an alias removed, a version not loaded), its share goes to the others in proportion,
 * so no request is refused for it.
 */
export function pickShare(shares: readonly SplitShare[], requestId: string, usable: (s: SplitShare) => boolean = () => true): SplitShare | undefined {
  const live = shares.filter(usable);
  const total = live.reduce((s, x) => s + x.percent, 0);
  if (!total) return undefined;
  const point = (splitPoint(requestId) / 100) * total;
  let edge = 0;
  for (const s of live) {
    edge += s.percent;
    if (point < edge) return s;
  }
  return live[live.length - 1];
}
