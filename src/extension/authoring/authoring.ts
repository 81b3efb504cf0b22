import * as vscode from 'vscode';
import fs from 'node:fs';
import path from 'node:path';
import { findComponent } from '../../core/catalogue';
import { STAGE_KEYS, TOP_LEVEL_KEYS } from '../../core/parse';
import type { PipewiseContext } from '../context';
import { Feature } from '../feature';
import { isPipelineDocument, toVsRange, type PipelineAnalysis, type PipelineDocuments } from '../pipelineDocuments';
import { componentMarkdown, componentNames, paramDocs, paramMarkdown } from './catalogueDocs';
import { componentOfStage, yamlContextAt } from './yamlContext';

export const PIPELINE_SELECTOR: vscode.DocumentSelector = [
  { language: 'yaml', pattern: '**/*.pipeline.{yaml,yml}' },
  { scheme: 'untitled', language: 'yaml' },
];

const SEVERITY: Record<string, vscode.DiagnosticSeverity> = {
  error: vscode.DiagnosticSeverity.Error,
  warning: vscode.DiagnosticSeverity.Warning,
  info: vscode.DiagnosticSeverity.Information,
};

/** Diagnostics from the spec validator at the exact range, completion and hover for pipeline files. */
export class AuthoringFeature extends Feature {
  constructor(ctx: PipewiseContext, documents: PipelineDocuments) {
    super(ctx);
    const collection = this._register(vscode.languages.createDiagnosticCollection('pipewise'));
    const publish = (a: PipelineAnalysis): void => {
      collection.set(
        a.uri,
        a.diagnostics.map((d) => {
          const diag = new vscode.Diagnostic(toVsRange(d.range), d.message, SEVERITY[d.severity] ?? vscode.DiagnosticSeverity.Error);
          diag.source = 'pipewise';
          diag.code = d.code;
          return diag;
        }),
      );
    };
    this._register(documents.onDidAnalyse(publish));
    this._register(vscode.workspace.onDidCloseTextDocument((d) => collection.delete(d.uri)));
    this._register(
      vscode.languages.registerCompletionItemProvider(
        PIPELINE_SELECTOR,
        { provideCompletionItems: (doc, pos) => complete(doc, pos, documents, () => loadSnippets(ctx.extension.extensionUri.fsPath)) },
        ':',
        '.',
        ' ',
      ),
    );
    this._register(vscode.languages.registerHoverProvider(PIPELINE_SELECTOR, { provideHover: (doc, pos) => hover(doc, pos, documents) }));
    documents.analyseOpen();
  }
}

interface Snippet {
  readonly prefix: string;
  readonly description: string;
  readonly body: readonly string[];
}

let snippetCache: Snippet[] | undefined;

/**
 * The pipeline snippets (`media/snippets/pipeline.code-snippets`). They are offered by this provider,
 * not contributed to every YAML file, so that a whole block is only proposed where a block can go:
 * `pipeline` at the top of a file, the stage snippets where a stage name is written.
 */
function loadSnippets(extensionPath: string): Snippet[] {
  if (!snippetCache) {
    const raw = JSON.parse(fs.readFileSync(path.join(extensionPath, 'media', 'snippets', 'pipeline.code-snippets'), 'utf8')) as Record<string, Snippet>;
    snippetCache = Object.values(raw);
  }
  return snippetCache;
}

function complete(doc: vscode.TextDocument, pos: vscode.Position, documents: PipelineDocuments, snippets: () => readonly Snippet[]): vscode.CompletionItem[] | undefined {
  if (doc.uri.scheme !== 'untitled' && !isPipelineDocument(doc)) return undefined;
  const text = doc.getText();
  const cx = yamlContextAt(text, doc.offsetAt(pos));
  const range = new vscode.Range(pos.translate(0, -cx.prefix.length), pos);
  const item = (label: string, kind: vscode.CompletionItemKind, detail?: string, docs?: string, insert?: string): vscode.CompletionItem => {
    const c = new vscode.CompletionItem(label, kind);
    c.range = range;
    if (detail) c.detail = detail;
    if (docs) c.documentation = new vscode.MarkdownString(docs);
    if (insert) c.insertText = insert;
    return c;
  };
  const [top, stage, section, sub] = cx.path;
  // A whole-block snippet, inserted from the start of the line (its body carries its own indentation).
  const lineStart = doc.lineAt(pos.line).text.slice(0, pos.character - cx.prefix.length).trim() === '';
  const blocks = (which: (s: Snippet) => boolean): vscode.CompletionItem[] =>
    !lineStart
      ? []
      : snippets()
          .filter(which)
          .map((sn) => {
            const c = new vscode.CompletionItem(sn.prefix, vscode.CompletionItemKind.Snippet);
            c.range = new vscode.Range(pos.line, 0, pos.line, pos.character);
            c.insertText = new vscode.SnippetString(sn.body.join('\n'));
            c.detail = sn.description;
            c.filterText = `${doc.lineAt(pos.line).text.slice(0, pos.character - cx.prefix.length)}${sn.prefix}`;
            return c;
          });

  if (cx.position === 'key' && cx.path.length === 0) {
    return [
      ...TOP_LEVEL_KEYS.map((k) => item(k, vscode.CompletionItemKind.Property, undefined, undefined, `${k}: `)),
      ...(doc.getText().trim() === '' || doc.getText().trim() === cx.prefix ? blocks((sn) => sn.prefix === 'pipeline') : []),
    ];
  }
  if (top === 'stages' && cx.path.length === 1 && cx.position === 'key') return blocks((sn) => sn.prefix.startsWith('stage'));
  if (top !== 'stages' || stage === undefined) return undefined;

  if (cx.path.length === 2 && cx.position === 'key') {
    return STAGE_KEYS.map((k) => item(k, vscode.CompletionItemKind.Property, undefined, undefined, k === 'component' ? 'component: ' : `${k}:\n  `));
  }
  if (cx.path.length === 2 && cx.position === 'value' && cx.key === 'component') {
    return componentNames().map((n) => {
      const decl = findComponent(n);
      return item(n, vscode.CompletionItemKind.Class, decl?.description.split('. ')[0], decl ? componentMarkdown(decl) : undefined);
    });
  }
  const component = documents.get(doc).parsed.spec?.stages.find((s) => s.name === stage)?.component ?? componentOfStage(text, stage);
  const decl = component ? findComponent(component) : undefined;

  if (section === 'params' && cx.path.length === 3 && cx.position === 'key' && component) {
    return paramDocs(component).map((p) => {
      const c = item(p.name, vscode.CompletionItemKind.Field, `${p.type}${p.default ? ` = ${p.default}` : ''}`, paramMarkdown(component, p), `${p.name}: `);
      c.sortText = `${p.required ? '0' : '1'}${p.name}`;
      return c;
    });
  }
  if (section === 'params' && cx.path.length === 3 && cx.position === 'value' && component && cx.key) {
    const p = paramDocs(component).find((d) => d.name === cx.key);
    return p?.values?.map((v) => item(v, vscode.CompletionItemKind.EnumMember, p.type));
  }
  if (section === 'inputs' && cx.path.length === 3 && cx.position === 'key' && decl) {
    return Object.entries(decl.inputs).map(([n, port]) =>
      item(n, vscode.CompletionItemKind.Field, `${port.type}${port.optional ? ' (optional)' : ''}`, port.description, `${n}: `),
    );
  }
  const inputName = section === 'inputs' && cx.path.length === 3 && cx.position === 'value' ? cx.key : section === 'inputs' && sub ? sub : undefined;
  if (inputName) {
    const wanted = decl?.inputs[inputName]?.type;
    const spec = documents.get(doc).parsed.spec;
    const items: vscode.CompletionItem[] = [];
    for (const s of spec?.stages ?? []) {
      if (s.name === stage) continue;
      const producer = findComponent(s.component);
      for (const [out, port] of Object.entries(producer?.outputs ?? {})) {
        const c = item(`${s.name}.${out}`, vscode.CompletionItemKind.Reference, `${port.type} from ${s.component}`, port.description);
        // Outputs of the type this input expects come first.
        c.sortText = `${wanted && port.type === wanted ? '0' : '1'}${s.name}.${out}`;
        if (wanted && port.type !== wanted) c.detail = `${port.type} from ${s.component} (this input expects ${wanted})`;
        items.push(c);
      }
    }
    return items;
  }
  return undefined;
}

function hover(doc: vscode.TextDocument, pos: vscode.Position, documents: PipelineDocuments): vscode.Hover | undefined {
  if (doc.uri.scheme !== 'untitled' && !isPipelineDocument(doc)) return undefined;
  const wordRange = doc.getWordRangeAtPosition(pos, /[\w./-]+/);
  if (!wordRange) return undefined;
  const word = doc.getText(wordRange);
  const text = doc.getText();
  const end = doc.offsetAt(wordRange.end);
  // On a key, read the context just past its colon, where the line names the key.
  const onKey = text[end] === ':';
  const cx = yamlContextAt(text, end + (onKey ? 1 : 0));
  const [top, stage, section] = cx.path;
  const md = (s: string): vscode.Hover => new vscode.Hover(new vscode.MarkdownString(s), wordRange);

  const decl = findComponent(word);
  if (decl && cx.position === 'value' && cx.key === 'component') return md(componentMarkdown(decl));
  if (top === 'stages' && cx.path.length === 1 && onKey) {
    const c = documents.get(doc).parsed.spec?.stages.find((s) => s.name === word)?.component ?? componentOfStage(text, word);
    const d = c ? findComponent(c) : undefined;
    return md(`**stage \`${word}\`** — ${c ?? 'no component yet'}${d ? `\n\n${d.description}` : ''}`);
  }
  if (top !== 'stages' || !stage) return undefined;
  const component = documents.get(doc).parsed.spec?.stages.find((s) => s.name === stage)?.component ?? componentOfStage(text, stage);
  if (section === 'params' && cx.path.length === 3 && cx.position === 'value' && cx.key === word && component) {
    const p = paramDocs(component).find((d) => d.name === word);
    if (p) return md(paramMarkdown(component, p));
  }
  if (section === 'inputs' && cx.path.length === 3 && cx.position === 'value') {
    const stageDecl = component ? findComponent(component) : undefined;
    if (cx.key === word && stageDecl?.inputs[word]) {
      const port = stageDecl.inputs[word];
      return md(`**input \`${word}\`** of ${stageDecl.name}: ${port.type}${port.optional ? ' (optional)' : ''}\n\n${port.description}`);
    }
    const ref = /^([\w]+)\.([\w]+)$/.exec(word);
    if (ref) {
      const producer = documents.get(doc).parsed.spec?.stages.find((s) => s.name === ref[1]);
      const pDecl = producer ? findComponent(producer.component) : undefined;
      const port = pDecl?.outputs[ref[2] ?? ''];
      if (producer && port) return md(`**${word}**: ${port.type}, written by stage \`${producer.name}\` (${producer.component})\n\n${port.description}`);
    }
  }
  return undefined;
}
