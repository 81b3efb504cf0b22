/**
 * The Python that runs the independent oracles (Debian's scikit-learn, pandas, SciPy, NumPy,
 * nbformat): the one named by PIPEWISE_PYTHON, else the system python3 that Debian's packages
 * install into. Another python3 earlier on PATH may lack them, so tests never ask PATH and never
 * write a path of their own: they call `oraclePython()`.
 */
import { existsSync } from 'node:fs';

const SYSTEM_PYTHON = '/usr/bin/python3';

export function oraclePython(): string {
  return process.env.PIPEWISE_PYTHON || SYSTEM_PYTHON;
}

/** A test's skip reason when the oracle Python is missing, else false. */
export function noOraclePython(): string | false {
  return existsSync(oraclePython()) ? false : `no oracle Python at ${oraclePython()} (set PIPEWISE_PYTHON)`;
}
