// Publishes what `npm run package:all` and `npm run pack:cli` built. Not run in CI: it needs tokens.
//
//   VSCE_PAT=… OVSX_PAT=… NPM_TOKEN=… node scripts/publish.mjs [--target T …] [--dry-run]
//
// For each target (default: every VSIX in scripts/vsix/targets.mjs), the platform VSIX goes to the
// Visual Studio Marketplace (`vsce publish --packagePath`, token VSCE_PAT) and to Open VSX (`ovsx
// publish`, token OVSX_PAT); the CLI's tarball goes to npm (`npm publish`, token NPM_TOKEN). A registry
// whose token is unset is skipped with a message. --dry-run prints the commands without running them.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { TARGETS, targetNamed, vsixName } from './vsix/targets.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const { values } = parseArgs({ options: { target: { type: 'string', multiple: true }, 'dry-run': { type: 'boolean', default: false } } });
const targets = (values.target ?? TARGETS.map((t) => t.target)).flatMap((t) => t.split(',')).map(targetNamed);
const version = JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8')).version;

const missing = targets.map((t) => vsixName(t.target)).filter((f) => !fs.existsSync(path.join(root, f)));
if (missing.length) throw new Error(`build these first (npm run package:all): ${missing.join(', ')}`);

function run(cmd, args, env = {}) {
  console.log(`$ ${cmd} ${args.join(' ')}`);
  if (!values['dry-run']) execFileSync(cmd, args, { cwd: root, stdio: 'inherit', env: { ...process.env, ...env } });
}

const vsce = path.join(root, 'node_modules', '@vscode', 'vsce', 'vsce');
for (const t of targets) {
  const file = vsixName(t.target);
  if (process.env.VSCE_PAT) run(process.execPath, [vsce, 'publish', '--packagePath', file]);
  else console.log(`Marketplace: VSCE_PAT is not set, ${file} not published there`);
  if (process.env.OVSX_PAT) run('npx', ['--yes', 'ovsx', 'publish', file, '--pat', process.env.OVSX_PAT]);
  else console.log(`Open VSX: OVSX_PAT is not set, ${file} not published there`);
}

const cli = path.join(root, `pipewise-cli-${version}.tgz`);
if (!fs.existsSync(cli)) console.log(`npm: ${path.basename(cli)} not built (npm run pack:cli), not published`);
else if (process.env.NPM_TOKEN) run('npm', ['publish', cli, '--access', 'public'], { NPM_CONFIG__AUTH: process.env.NPM_TOKEN });
else console.log('npm: NPM_TOKEN is not set, the CLI not published');
