/**
 * keepalived.conf reader, in layers:
 *
 *   lexer.ts     one line -> tokens (file/line/column), comments, quotes, braces, Unicode spaces
 *   params.ts    $NAME=value parameters, ${NAME} substitution, ~SEQ/~LST
 *   include.ts   the line reader: files, `include` + glob/brace expansion, @id conditional
 *                lines, parameters and sequences in keepalived's order -> one stream of lines
 *   parser.ts    lines -> generic block tree (this file): `keyword args... { children }`
 *   validate.ts  tree + keywords/*.ts tables -> diagnostics (unknown keyword with
 *                did-you-mean, arity/types, old aliases, keywords Vigil does not support)
 *   convert.ts   tree -> ClusterSpec for one director; merge.ts joins several directors
 *
 * Block rules follow keepalived 2.2.x lib/parser.c: a `{` opens a block for the statement
 * read just before it (on the same line or the next); words after a `{` or `}` on the same
 * line start a new statement; a `}` at top level is an error ("Extra '}' found"); blocks still
 * open at end of input are errors at their opening brace ("There are N missing '}'s"). Blocks
 * nest at most MAX_BLOCK_DEPTH deep (keepalived's own nest 4 deep), so nothing recursing over
 * the tree can run out of stack.
 *
 * Diagnostics never stop parsing: every problem in the file is reported in one run.
 */
import { diag, sortDiagnostics, type Diagnostic } from './diagnostics.ts';
import { nodeConfigFs, type ConfigFs } from './fs.ts';
import { loadWithIncludes } from './include.ts';
import { MAX_BLOCK_DEPTH } from './limits.ts';
import type { LexLine, Token } from './lexer.ts';
import type { ConfNode } from './tree.ts';
import { validateTree } from './validate.ts';

export type { ConfNode } from './tree.ts';

export interface ParseResult {
  tree: ConfNode[];
  diagnostics: Diagnostic[];
  files: string[];
}

/**
 * Merges what the line's other tokens say about parameters into its keyword token, so that any
 * diagnostic placed on the statement names the definitions that built it.
 */
function withParameterNotes(stmt: Token[]): Token {
  const kw = stmt[0]!;
  let notes = false;
  for (const t of stmt) if (t.via || t.unresolved) notes = true;
  if (!notes) return kw;
  const via = stmt.flatMap((t) => t.via ?? []);
  const unresolved = [...new Set(stmt.flatMap((t) => t.unresolved ?? []))];
  return { ...kw, ...(via.length && { via }), ...(unresolved.length && { unresolved }) };
}

interface TreeState {
  root: ConfNode[];
  stack: { node: ConfNode; list: ConfNode[] }[];
  /**
   * The statement just before, while nothing else came between it and a `{` (keepalived wants a
   * block keyword's `{` as the very next thing it reads, on that line or the next).
   */
  last: ConfNode | undefined;
}

function currentList(st: TreeState): ConfNode[] {
  return st.stack.length ? st.stack[st.stack.length - 1]!.node.children! : st.root;
}

/** Ends the statement `stmt` (tokens from..to of the line), if any. No closures: this runs per line. */
function finishStatement(st: TreeState, tokens: Token[], from: number, to: number, line: LexLine): ConfNode | undefined {
  if (to <= from) return undefined;
  const stmt = from === 0 && to === tokens.length ? tokens : tokens.slice(from, to);
  const node: ConfNode = { keyword: withParameterNotes(stmt), args: stmt.slice(1) };
  if (line.afterBackslash && from === 0) node.afterBackslash = true;
  currentList(st).push(node);
  st.last = node;
  return node;
}

/**
 * Builds the block tree from lexed lines, reporting brace problems. `truncated`: reading stopped
 * at a bound, so blocks still open at the end are the bound's doing, not missing "}"s.
 */
export function buildTree(lines: LexLine[], options: { truncated?: boolean } = {}): { tree: ConfNode[]; diagnostics: Diagnostic[] } {
  const diagnostics: Diagnostic[] = [];
  const st: TreeState = { root: [], stack: [], last: undefined };
  // Blocks opened beyond MAX_BLOCK_DEPTH: counted, not built (their contents are dropped).
  let excess = 0;

  for (const line of lines) {
    const tokens = line.tokens;
    let from = 0;
    for (let i = 0; i < tokens.length; i++) {
      const tok = tokens[i]!;
      if (tok.quoted || (tok.text !== '{' && tok.text !== '}')) continue;
      const owner0 = excess > 0 ? undefined : finishStatement(st, tokens, from, i, line);
      from = i + 1;
      if (tok.text === '{') {
        if (excess > 0 || st.stack.length >= MAX_BLOCK_DEPTH) {
          if (excess === 0) {
            diagnostics.push(diag('error', 'limit', tok, `blocks nested more than ${MAX_BLOCK_DEPTH} deep; what is inside is not read`, {
              hint: 'keepalived blocks nest at most 4 deep (virtual_server > real_server > HTTP_GET > url): look for a missing "}"',
            }));
          }
          excess++;
          st.last = undefined;
          continue;
        }
        let owner = owner0;
        if (!owner) {
          const list = currentList(st);
          if (st.last && !st.last.children && list[list.length - 1] === st.last) {
            owner = st.last;
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
        st.stack.push({ node: owner, list: currentList(st) });
        st.last = undefined;
        continue;
      }
      st.last = undefined;
      if (excess > 0) {
        excess--;
        continue;
      }
      const top = st.stack.pop();
      if (!top) {
        diagnostics.push(
          diag('error', 'unexpected-close', tok, 'extra "}" with no open block', {
            hint: 'remove it, or look above for a block closed too early',
          }),
        );
      } else top.node.close = tok;
    }
    if (excess === 0) finishStatement(st, tokens, from, tokens.length, line);
  }
  for (const open of options.truncated ? [] : st.stack.reverse()) {
    const kw = open.node.keyword;
    diagnostics.push(
      diag('error', 'unclosed-block', open.node.open!, `block "${kw.text}" opened here is never closed`, {
        expected: '"}" before the end of the file',
        hint: `add the missing "}" for "${[kw.text, ...open.node.args.map((a) => a.text)].join(' ')}" (line ${kw.line})`,
      }),
    );
  }
  return { tree: st.root, diagnostics };
}

export interface ParseOptions {
  /** File system used for the entry file and includes (defaults to the real one). */
  fs?: ConfigFs;
  /** Name shown in diagnostics when parsing text (default `keepalived.conf`). */
  file?: string;
  /** keepalived's `-i`/`--config-id` for `@id` lines (default: the host name up to its first dot). */
  configId?: string;
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
  const load = options.configId !== undefined ? { configId: options.configId } : {};
  const loaded =
    'path' in input ? loadWithIncludes(input.path, fs, undefined, load) : loadWithIncludes(options.file ?? 'keepalived.conf', fs, input.text, load);
  const { tree, diagnostics } = buildTree(loaded.lines, { truncated: loaded.truncated === true });
  const checked = validateTree(tree);
  return {
    tree,
    diagnostics: sortDiagnostics([...loaded.diagnostics, ...diagnostics, ...checked]),
    files: loaded.files,
  };
}
