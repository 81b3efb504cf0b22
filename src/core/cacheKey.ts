/**
 * The cache key of a stage execution, as TFX computes it: a hash over the component and its
 * version, the resolved parameters, the fingerprints of the input artifacts, and whatever the
 * component reads from outside the store (data files, a user module's source).
 */
import { createHash } from 'node:crypto';

export interface CacheKeyParts {
  readonly component: string;
  readonly version: string;
  /** After the component's schema applied its defaults, so writing a default out changes nothing. */
  readonly params: unknown;
  /** Input name → fingerprint of the artifact bound to it. */
  readonly inputs: Readonly<Record<string, string>>;
  readonly external?: string;
}

export function cacheKey(parts: CacheKeyParts): string {
  return createHash('sha256')
    .update(
      canonicalJson({
        v: 1,
        component: parts.component,
        version: parts.version,
        params: parts.params,
        inputs: parts.inputs,
        external: parts.external ?? '',
      }),
    )
    .digest('hex');
}

/** JSON with object keys sorted at every depth, so equal values always hash alike. */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(sortKeys(value));
}

function sortKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortKeys);
  if (value && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const k of Object.keys(value).sort()) {
      const v = (value as Record<string, unknown>)[k];
      if (v !== undefined) out[k] = sortKeys(v);
    }
    return out;
  }
  return value;
}
