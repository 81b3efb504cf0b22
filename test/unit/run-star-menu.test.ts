/**
 * The Runs view's menu on a run reads "Star" on an unstarred run and "Unstar" on a starred one
 * (issue 28), each with its own icon: the run item's contextValue (src/core/runAnnotations.ts,
 * `runContextValue`) is matched against the `when` clauses package.json contributes, evaluated here
 * by a small evaluator of VS Code's `==`, `=~ /regex/` and `&&`, so a clause that stops matching a
 * starred run (or shows both titles) fails.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { runContextValue } from '../../src/core/runAnnotations';

interface Contributed {
  readonly commands: readonly { readonly command: string; readonly title: string; readonly icon?: string }[];
  readonly menus: Readonly<Record<string, readonly { readonly command: string; readonly when?: string; readonly group?: string }[]>>;
}

const contributes = (JSON.parse(readFileSync(path.join(__dirname, '..', '..', 'package.json'), 'utf8')) as { contributes: Contributed }).contributes;

/** VS Code's when-clause grammar as package.json uses it for tree items: terms joined by `&&`. */
function holds(when: string | undefined, context: Record<string, string>): boolean {
  if (!when) return true;
  return when.split('&&').every((raw) => {
    const term = raw.trim();
    if (term === 'false') return false;
    if (term === 'true') return true;
    const eq = /^([\w.]+)\s*==\s*(\S+)$/.exec(term);
    if (eq) return context[eq[1] as string] === eq[2];
    const re = /^([\w.]+)\s*=~\s*\/(.*)\/([a-z]*)$/.exec(term);
    if (re) return new RegExp(re[2] as string, re[3]).test(context[re[1] as string] ?? '');
    throw new Error(`a when clause this test cannot read: ${term}`);
  });
}

/** The titles and icons of the commands a run item's context menu (and inline bar) shows. */
function menuOf(contextValue: string): { title: string; icon?: string; group?: string }[] {
  const titles = new Map(contributes.commands.map((c) => [c.command, c]));
  return (contributes.menus['view/item/context'] ?? [])
    .filter((m) => holds(m.when, { view: 'pipewise.runs', viewItem: contextValue }))
    .map((m) => {
      const c = titles.get(m.command);
      assert.ok(c, `${m.command} is in the menu but not among the contributed commands`);
      return { title: c.title, ...(c.icon ? { icon: c.icon } : {}), ...(m.group ? { group: m.group } : {}) };
    });
}

test('an unstarred run offers "Star" with an empty star; a starred run "Unstar" with a full one', () => {
  const plain = menuOf(runContextValue({}));
  const starred = menuOf(runContextValue({ starred: true, name: 'best' }));
  const titles = (m: { title: string }[]) => new Set(m.map((x) => x.title));
  assert.ok(titles(plain).has('Star') && !titles(plain).has('Unstar'), JSON.stringify(plain));
  assert.ok(titles(starred).has('Unstar') && !titles(starred).has('Star'), JSON.stringify(starred));
  assert.ok(![...titles(plain), ...titles(starred)].some((t) => t.includes('/')), 'no "Star/Unstar" in either state');
  assert.ok(plain.filter((m) => m.title === 'Star').every((m) => m.icon === '$(star-empty)'));
  assert.ok(starred.filter((m) => m.title === 'Unstar').every((m) => m.icon === '$(star-full)'));
  // Inline (the button on the row) and in the context menu, in both states.
  for (const [menu, title] of [[plain, 'Star'], [starred, 'Unstar']] as const) {
    assert.ok(menu.some((m) => m.title === title && m.group === 'inline'), `${title} inline`);
    assert.ok(menu.some((m) => m.title === title && m.group?.startsWith('annotate')), `${title} in the context menu`);
  }
});

test('a starred run keeps every other command of a run: Rename…, Edit Note…, Export Report…', () => {
  const others = (m: { title: string }[]) => m.map((x) => x.title).filter((t) => t !== 'Star' && t !== 'Unstar').sort();
  const plain = others(menuOf(runContextValue({})));
  assert.deepEqual(others(menuOf(runContextValue({ starred: true }))), plain);
  for (const t of ['Rename…', 'Edit Note…', 'Export Report…']) assert.ok(plain.includes(t), `${t} in ${plain.join(', ')}`);
  assert.equal(menuOf('pipewise.pipeline').some((m) => m.title === 'Star' || m.title === 'Unstar'), false, 'a pipeline is not starred');
});
