/**
 * Every GFM table of a Markdown text, under the heading before it, parsed by a real GFM parser
 * (marked's lexer): each cell's text as GitHub shows it, from its inline tokens (an escaped `\\`
 * reads `\`). For the report tests, whose oracle for the Markdown is what a reader sees.
 */
export async function markdownTables(md: string): Promise<{ heading: string; rows: string[][] }[]> {
  const { lexer } = await import('marked');
  const out: { heading: string; rows: string[][] }[] = [];
  let heading = '';
  for (const t of lexer(md)) {
    if (t.type === 'heading') heading = (t as { text: string }).text;
    if (t.type === 'table') out.push({ heading, rows: (t as unknown as { rows: { tokens: { text: string }[] }[][] }).rows.map((r) => r.map((c) => c.tokens.map((x) => x.text).join(''))) });
  }
  return out;
}
