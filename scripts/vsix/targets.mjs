// VS Code's platform targets that DuckDB's Node bindings ship for, and what a VSIX for each must
// hold: the `@duckdb/node-bindings-<binding>` package, whose native files are of `format` (the
// executable format) for `arch`, linked against `libc` on Linux. `universal` has no binding: the
// extension runs there without DuckDB (its data features say they are unavailable).

/** @typedef {{ target: string, binding?: string, os?: 'linux' | 'darwin' | 'win32', arch?: 'x64' | 'arm64', format?: 'elf' | 'macho' | 'pe', libc?: 'glibc' | 'musl' }} VsixTarget */

/** @type {VsixTarget[]} */
export const TARGETS = [
  { target: 'linux-x64', binding: 'linux-x64', os: 'linux', arch: 'x64', format: 'elf', libc: 'glibc' },
  { target: 'linux-arm64', binding: 'linux-arm64', os: 'linux', arch: 'arm64', format: 'elf', libc: 'glibc' },
  { target: 'alpine-x64', binding: 'linux-x64-musl', os: 'linux', arch: 'x64', format: 'elf', libc: 'musl' },
  { target: 'alpine-arm64', binding: 'linux-arm64-musl', os: 'linux', arch: 'arm64', format: 'elf', libc: 'musl' },
  { target: 'darwin-x64', binding: 'darwin-x64', os: 'darwin', arch: 'x64', format: 'macho' },
  { target: 'darwin-arm64', binding: 'darwin-arm64', os: 'darwin', arch: 'arm64', format: 'macho' },
  { target: 'win32-x64', binding: 'win32-x64', os: 'win32', arch: 'x64', format: 'pe' },
  { target: 'win32-arm64', binding: 'win32-arm64', os: 'win32', arch: 'arm64', format: 'pe' },
  { target: 'universal' },
];

/** @param {string} name */
export function targetNamed(name) {
  const t = TARGETS.find((x) => x.target === name);
  if (!t) throw new Error(`unknown VSIX target "${name}"; known: ${TARGETS.map((x) => x.target).join(', ')}`);
  return t;
}

/** The target of the machine this runs on (the VSIX the tests install). */
export function hostTarget() {
  const arch = process.arch;
  if (process.platform === 'linux') {
    const musl = !process.report?.getReport()?.header?.glibcVersionRuntime;
    return `${musl ? 'alpine' : 'linux'}-${arch}`;
  }
  return `${process.platform}-${arch}`;
}

/** The file name of a target's VSIX. */
export const vsixName = (target) => `pipewise-${target}.vsix`;
