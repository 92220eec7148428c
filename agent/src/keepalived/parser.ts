/**
 * keepalived.conf reader, in layers:
 *
 *   lexer.ts     text -> lines of tokens (file/line/column), comments, quotes, Unicode spaces
 *   include.ts   `include` + glob/brace expansion, cycle detection -> one stream of lines
 *   parser.ts    lines -> generic block tree (this file): `keyword args... { children }`
 *   validate.ts  tree + keywords/*.ts tables -> diagnostics (unknown keyword with
 *                did-you-mean, arity/types, old aliases, keywords Vigil does not support)
 *   convert.ts   tree -> ClusterSpec for one director; merge.ts joins several directors
 *
 * Block rules follow keepalived 2.2.x lib/parser.c: a `{` opens a block for the statement
 * before it on the same line (or, with an info note, for the previous statement when the `{`
 * starts a line); words after a `{` or `}` on the same line start a new statement; a `}` at
 * top level is an error ("Extra '}' found"); blocks still open at end of input are errors at
 * their opening brace ("There are N missing '}'s").
 *
 * Diagnostics never stop parsing: every problem in the file is reported in one run.
 */
import { diag, sortDiagnostics, type Diagnostic } from './diagnostics.ts';
import { nodeConfigFs, type ConfigFs } from './fs.ts';
import { loadWithIncludes } from './include.ts';
import type { LexLine, Token } from './lexer.ts';
import type { ConfNode } from './tree.ts';
import { validateTree } from './validate.ts';

export type { ConfNode } from './tree.ts';

export interface ParseResult {
  tree: ConfNode[];
  diagnostics: Diagnostic[];
  files: string[];
}

/** Builds the block tree from lexed lines, reporting brace problems. */
export function buildTree(lines: LexLine[]): { tree: ConfNode[]; diagnostics: Diagnostic[] } {
  const diagnostics: Diagnostic[] = [];
  const root: ConfNode[] = [];
  const stack: { node: ConfNode; list: ConfNode[] }[] = [];
  const current = () => (stack.length ? stack[stack.length - 1]!.node.children! : root);

  for (const line of lines) {
    let stmt: Token[] = [];
    const finish = (): ConfNode | undefined => {
      if (stmt.length === 0) return undefined;
      const node: ConfNode = { keyword: stmt[0]!, args: stmt.slice(1) };
      current().push(node);
      stmt = [];
      return node;
    };
    for (const tok of line.tokens) {
      if (!tok.quoted && tok.text === '{') {
        let owner = finish();
        if (!owner) {
          const list = current();
          const prev = list[list.length - 1];
          if (prev && !prev.children && prev.keyword.line < tok.line) {
            owner = prev;
          } else {
            diagnostics.push(
              diag('error', 'unexpected-block', tok, 'unexpected "{" with no keyword before it', {
                hint: 'a block starts with its keyword on the same line, e.g. "virtual_ipaddress {"',
              }),
            );
            // Parse the contents anyway so later errors still get reported.
            owner = { keyword: { ...tok, text: '{' }, args: [] };
            list.push(owner);
          }
        }
        owner.children = [];
        owner.open = tok;
        stack.push({ node: owner, list: current() });
        continue;
      }
      if (!tok.quoted && tok.text === '}') {
        finish();
        const top = stack.pop();
        if (!top) {
          diagnostics.push(
            diag('error', 'unexpected-close', tok, 'extra "}" with no open block', {
              hint: 'remove it, or look above for a block closed too early',
            }),
          );
        } else top.node.close = tok;
        continue;
      }
      stmt.push(tok);
    }
    finish();
  }
  for (const open of stack.reverse()) {
    const kw = open.node.keyword;
    diagnostics.push(
      diag('error', 'unclosed-block', open.node.open!, `block "${kw.text}" opened here is never closed`, {
        expected: '"}" before the end of the file',
        hint: `add the missing "}" for "${[kw.text, ...open.node.args.map((a) => a.text)].join(' ')}" (line ${kw.line})`,
      }),
    );
  }
  return { tree: root, diagnostics };
}

export interface ParseOptions {
  /** File system used for the entry file and includes (defaults to the real one). */
  fs?: ConfigFs;
  /** Name shown in diagnostics when parsing text (default `keepalived.conf`). */
  file?: string;
}

/**
 * Parses a keepalived.conf from a path (`{ path }`) or from text (`{ text }`; includes are then
 * resolved against `options.fs`, by default the real file system, relative to `options.file`).
 * Returns the block tree and every diagnostic: lexing, includes, braces, keyword validation.
 *
 * @example
 * const { tree, diagnostics } = parseKeepalivedConf({ path: '/etc/keepalived/keepalived.conf' });
 * const { tree: t2 } = parseKeepalivedConf({ text: 'vrrp_instance VI_1 {\n priority 100\n}\n' });
 */
export function parseKeepalivedConf(input: { path: string } | { text: string }, options: ParseOptions = {}): ParseResult {
  const fs = options.fs ?? nodeConfigFs;
  const loaded =
    'path' in input ? loadWithIncludes(input.path, fs) : loadWithIncludes(options.file ?? 'keepalived.conf', fs, input.text);
  const { tree, diagnostics } = buildTree(loaded.lines);
  const checked = validateTree(tree);
  return {
    tree,
    diagnostics: sortDiagnostics([...loaded.diagnostics, ...diagnostics, ...checked]),
    files: loaded.files,
  };
}
