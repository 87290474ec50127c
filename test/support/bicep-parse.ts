// A Bicep syntax check that runs without the Bicep compiler: the tree-sitter-bicep grammar, compiled to WebAssembly
// (the package ships tree-sitter-bicep.wasm), run by web-tree-sitter. Only the wasm file is used: the package's
// native binding (its `install` script, node-gyp-build, and its optional peer `tree-sitter`) is not needed, and
// package.json's allowScripts denies that script. Syntax only: names, types and API versions are the compiler's job.
import fs from 'node:fs';
import path from 'node:path';
import { Language, Parser, type Node } from 'web-tree-sitter';

/** One syntax problem, at a 1-based line and column of the source. */
export interface BicepSyntaxError {
  line: number;
  column: number;
  message: string;
  /** The offending source text (cut to a line and 60 characters); empty where a token is missing. */
  text: string;
}

let parser: Promise<Parser> | undefined;

function bicepParser(): Promise<Parser> {
  parser ??= (async () => {
    await Parser.init();
    // Bytes, not a path: given a path, web-tree-sitter reads it through a dynamic import(), which jest's sandbox refuses.
    const wasm = fs.readFileSync(require.resolve('tree-sitter-bicep/tree-sitter-bicep.wasm'));
    const language = await Language.load(wasm);
    const p = new Parser();
    p.setLanguage(language);
    return p;
  })();
  return parser;
}

const at = (n: Node): { line: number; column: number } => ({
  line: n.startPosition.row + 1,
  column: n.startPosition.column + 1,
});

const excerpt = (text: string): string => {
  const first = text.split('\n')[0];
  return first.length > 60 || text.includes('\n') ? `${first.slice(0, 60)}…` : first;
};

/** Every ERROR and MISSING node of the grammar's parse of `source`, outermost first, in source order. */
export async function bicepSyntaxErrors(source: string): Promise<BicepSyntaxError[]> {
  const tree = (await bicepParser()).parse(source);
  if (!tree) throw new Error('tree-sitter-bicep returned no tree');
  const errors: BicepSyntaxError[] = [];
  const visit = (n: Node): void => {
    if (n.isMissing) {
      const opened = n.parent ? ` (in the ${n.parent.type} from ${at(n.parent).line}:${at(n.parent).column})` : '';
      errors.push({ ...at(n), message: `missing ${JSON.stringify(n.type)}${opened}`, text: '' });
    } else if (n.isError) {
      errors.push({ ...at(n), message: 'syntax error', text: excerpt(n.text) });
    } else if (
      n.type === 'string' &&
      !n.text.startsWith("'''") &&
      n.children.some((c) => c?.type === 'string_content' && c.text.includes('\n'))
    ) {
      // The grammar's string_content (/[^'$\\]+/) takes line breaks, so an unclosed 'string runs on to the next quote
      // and the error surfaces far below, or not at all. Bicep ends a single-quoted string at the line break (BCP004);
      // only ''' strings may span lines. This makes the check stricter, never looser (interpolations are not looked at).
      errors.push({
        ...at(n),
        message: "string not closed on its line (only ''' strings span lines)",
        text: excerpt(n.text),
      });
    }
    if (!n.isError) for (const c of n.children) if (c) visit(c);
  };
  visit(tree.rootNode);
  if (tree.rootNode.hasError && errors.length === 0)
    errors.push({
      line: 1,
      column: 1,
      message: 'syntax error (tree-sitter found one but no node was marked)',
      text: '',
    });
  tree.delete();
  return errors;
}

/** `file:line:column: message: "text"`, the form editors and terminals link to. */
export const formatBicepError = (file: string, e: BicepSyntaxError): string =>
  `${file}:${e.line}:${e.column}: ${e.message}${e.text ? `: ${JSON.stringify(e.text)}` : ''}`;

/** Every `.bicep` file under `dir`, recursively, sorted. */
export function bicepFilesUnder(dir: string): string[] {
  return fs
    .readdirSync(dir, { withFileTypes: true })
    .flatMap((e) => {
      const p = path.join(dir, e.name);
      return e.isDirectory() ? bicepFilesUnder(p) : e.isFile() && e.name.endsWith('.bicep') ? [p] : [];
    })
    .sort();
}
