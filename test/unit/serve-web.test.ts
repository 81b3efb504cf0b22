/**
 * `pipewise serve-web DIR` picks the folder to serve: DIR itself when it holds index.html, else its
 * newest numbered version — never a version that is a symbolic link out of DIR.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { webFolderOf } from '../../src/cli/serveWeb';

test('serve-web does not follow a symlinked newest version out of its folder', () => {
  const tmp = mkdtempSync(path.join(os.tmpdir(), 'pipewise-serve-web-'));
  try {
    const dest = path.join(tmp, 'push');
    const outside = path.join(tmp, 'outside');
    mkdirSync(path.join(dest, '1'), { recursive: true });
    writeFileSync(path.join(dest, '1', 'index.html'), '<p>1</p>');
    mkdirSync(outside);
    writeFileSync(path.join(outside, 'index.html'), '<p>outside</p>');
    symlinkSync(outside, path.join(dest, '2'));
    assert.equal(webFolderOf(dest), path.join(dest, '1'));
    // A version folder that is a real folder still wins by number.
    mkdirSync(path.join(dest, '3'));
    writeFileSync(path.join(dest, '3', 'index.html'), '<p>3</p>');
    assert.equal(webFolderOf(dest), path.join(dest, '3'));
    // Only the symlink: nothing to serve, said plainly.
    rmSync(path.join(dest, '1'), { recursive: true });
    rmSync(path.join(dest, '3'), { recursive: true });
    assert.throws(() => webFolderOf(dest), /no web push/);
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
});
