/**
 * The native backend the design names (tfjs-node on libtensorflow) trains the same model as wasm.
 * scripts/setup-tfjs-node.sh (run by the test setup) builds tfjs-node's binding against a local
 * TensorFlow C library when the machine has one; without it this test is skipped with the reason.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import path from 'node:path';

const root = path.resolve(__dirname, '../..');
const dir = execFileSync('bash', [path.join(root, 'scripts/setup-tfjs-node.sh'), '--print-dir'], { encoding: 'utf8' }).trim();
const skip = dir ? undefined : 'no tfjs-node built against a local TensorFlow library (scripts/setup-tfjs-node.sh found no tensorflow_cpu wheel, or its build failed)';

function trainOn(backend: string): { backend: string; weights: number[][]; history: Record<string, number>[] } {
  const out = execFileSync(process.execPath, ['--import', 'tsx', path.join(__dirname, 'tf-native-train.ts')], {
    cwd: root,
    encoding: 'utf8',
    env: { ...process.env, PIPEWISE_TF_BACKEND: backend, PIPEWISE_TFJS_NODE: dir, TF_CPP_MIN_LOG_LEVEL: '2' },
    maxBuffer: 1 << 24,
  });
  return JSON.parse(out.trim().split('\n').pop() ?? '{}') as { backend: string; weights: number[][]; history: Record<string, number>[] };
}

test('the tensorflow backend (tfjs-node on a local libtensorflow) trains the model wasm trains', { skip }, () => {
  const native = trainOn('tensorflow');
  assert.equal(native.backend, 'tensorflow', 'loadTf picked the native backend');
  const wasm = trainOn('wasm');
  assert.equal(wasm.backend, 'wasm');
  let diff = 0;
  native.weights.forEach((w, k) => w.forEach((v, i) => (diff = Math.max(diff, Math.abs(v - (wasm.weights[k]?.[i] ?? NaN))))));
  assert.ok(diff < 1e-3, `largest weight difference between tensorflow and wasm: ${diff}`);
  const last = native.history.length - 1;
  assert.ok(Math.abs((native.history[last]?.val_loss ?? NaN) - (wasm.history[last]?.val_loss ?? NaN)) < 1e-3);
  assert.ok((native.history[last]?.val_loss ?? 9) < (native.history[0]?.val_loss ?? 0), 'training lowered the validation loss');
});
