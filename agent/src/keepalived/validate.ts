/**
 * Checks a parsed keepalived.conf tree against the keyword tables (keywords/*.ts): unknown
 * keywords (with "did you mean"), argument counts and types, old aliases, keywords Vigil does
 * not implement, blocks where none belong, and `//` used as a comment.
 *
 * `//` is not a comment in keepalived.conf. Where it lands decides keepalived's verdict, and
 * Vigil matches it: at the start of a line it is an unknown keyword (error); after the arguments
 * of most keywords keepalived silently ignores it (Vigil warns); after `lb_kind`, a script
 * `weight`, or inside address/track lists keepalived rejects it (error).
 */
import { isIP } from 'node:net';
import { diag, type Diagnostic } from './diagnostics.ts';
import { allBlocks, lookupBlock, rootBlock, type Arg, type BlockSpec, type KeywordSpec, type ListKind } from './keywords/index.ts';
import type { Token } from './lexer.ts';
import type { ConfNode } from './tree.ts';
import { closestMatch } from './suggest.ts';

const COMMENT_HINT = '"//" is not a comment in keepalived.conf; start comments with "#" or "!"';

export function validateTree(tree: ConfNode[]): Diagnostic[] {
  const out: Diagnostic[] = [];
  walk(tree, rootBlock, out);
  return out;
}

function walk(nodes: ConfNode[], block: BlockSpec, out: Diagnostic[]): void {
  for (const node of nodes) {
    if (node.keyword.text === '{') {
      if (node.children) walk(node.children, block, out);
      continue;
    }
    if (isSlash(node.keyword)) {
      out.push(
        diag('error', 'slash-comment', node.keyword, `"${clip(node.keyword.text)}" is read by keepalived as a keyword, not as a comment`, {
          hint: COMMENT_HINT,
        }),
      );
      continue;
    }
    if (!node.keyword.quoted && /^[@$]/.test(node.keyword.text)) {
      out.push(
        diag('warning', 'unsupported', node.keyword, node.keyword.text.startsWith('@')
          ? `conditional line "${clip(node.keyword.text)}" (keepalived --config-id) is not supported by Vigil yet; the line is ignored`
          : `parameter substitution "${clip(node.keyword.text)}" is not supported by Vigil yet; the line is ignored`),
      );
      continue;
    }
    if (block.list) {
      checkListLine(node, block.list, block.name, out);
      if (node.children) out.push(diag('error', 'unexpected-block', node.open!, `unexpected block inside "${block.name}"`));
      continue;
    }
    const spec = block.keywords![node.keyword.text];
    if (!spec) {
      unknownKeyword(node, block, out);
      continue;
    }
    checkKeyword(node, spec, block, out);
  }
}

function isSlash(t: Token): boolean {
  return !t.quoted && t.text.startsWith('//');
}

function clip(s: string): string {
  const chars = Array.from(s);
  return chars.length > 40 ? `${chars.slice(0, 40).join('')}…` : s;
}

function unknownKeyword(node: ConfNode, block: BlockSpec, out: Diagnostic[]): void {
  const kw = node.keyword;
  const names = Object.keys(block.keywords!);
  let hint: string | undefined;
  // `lvs sync daemon interface eth0`: words that were meant to be joined with underscores.
  for (let k = node.args.length; k >= 1 && !hint; k--) {
    const joined = [kw.text, ...node.args.slice(0, k).map((a) => a.text)].join('_');
    if (block.keywords![joined]) {
      hint = `did you mean "${[joined, ...node.args.slice(k).map((a) => a.text)].join(' ')}"?`;
    }
  }
  const near = hint ? undefined : closestMatch(kw.text, names);
  if (near) hint = `did you mean "${near}"?`;
  if (!hint) {
    const elsewhere = Object.values(allBlocks()).find((b) => b.keywords?.[kw.text]);
    if (elsewhere) hint = `"${kw.text}" belongs in a "${elsewhere.name}" block, not in "${block.name}"`;
  }
  out.push(
    diag('error', 'unknown-keyword', kw, `unknown keyword "${clip(kw.text)}" in ${block.name}`, {
      ...(hint !== undefined && { hint }),
    }),
  );
  // A misspelt block keyword (`lobal_defs {`): check its contents as the block it was meant to be.
  const meant = near ? block.keywords![near] : undefined;
  if (node.children && meant?.block && !meant.unsupported) walk(node.children, lookupBlock(meant.block), out);
}

function checkKeyword(node: ConfNode, spec: KeywordSpec, block: BlockSpec, out: Diagnostic[]): void {
  const kw = node.keyword;
  if (spec.aliasOf) {
    out.push(
      diag(spec.aliasSeverity ?? 'info', 'deprecated', kw, `"${kw.text}" is the old name of "${spec.aliasOf}"`, {
        hint: `write "${spec.aliasOf}"`,
      }),
    );
  }
  if (spec.removed) {
    out.push(diag('error', 'unknown-keyword', kw, `"${kw.text}" is no longer a keepalived keyword`, { hint: spec.removed }));
    return;
  }
  if (spec.unsupported) {
    const why = typeof spec.unsupported === 'string' ? spec.unsupported : undefined;
    out.push(
      diag('warning', 'unsupported', kw, `keepalived keyword "${kw.text}" (in ${block.name}) is not supported by Vigil yet; it is ignored`, {
        ...(why !== undefined && { hint: why }),
      }),
    );
  }
  checkArgs(kw, node.args, spec, out);
  if (kw.text === 'virtual_server' && block === rootBlock) checkVirtualServerAddress(node, out);
  if (kw.text === 'old_unicast_checksum' && node.args.length === 0) {
    out.push(
      diag('error', 'unsupported', kw, 'old_unicast_checksum: Vigil sends and accepts only the RFC 5798 VRRPv3 checksum (pseudo-header with the real destination), never the pre-1.3.6 keepalived form', {
        hint: 'upgrade the peers past keepalived 1.3.6 and remove the line, or write "old_unicast_checksum never" (what Vigil does)',
      }),
    );
  }
  if (kw.text === 'persistence_timeout' && node.args[0]?.text === '0') {
    out.push(
      diag('warning', 'invalid-value', node.args[0], 'persistence_timeout 0: keepalived 2.2.7 rejects 0 (range 1..2678400); Vigil reads it as "no persistence"', {
        hint: 'delete the line to disable persistence',
      }),
    );
  }
  if (spec.block && !node.children && !spec.blockOptional) {
    out.push(diag('error', 'missing-block', kw, `"${kw.text}" needs a "{ ... }" block`, { expected: `"${kw.text} ... {"` }));
  }
  if (node.children && !spec.block) {
    out.push(diag('error', 'unexpected-block', node.open!, `"${kw.text}" does not take a "{ ... }" block`));
    return;
  }
  if (node.children && spec.block && !spec.unsupported) walk(node.children, lookupBlock(spec.block), out);
}

function checkArgs(kw: Token, args: Token[], spec: KeywordSpec, out: Diagnostic[]): void {
  const required = spec.args ?? [];
  const optional = spec.optional ?? [];
  if (args.length < required.length) {
    const at = args[args.length - 1] ?? kw;
    out.push(
      diag('error', 'missing-argument', { ...at, column: at.column + Array.from(at.text).length }, `"${kw.text}" needs ${required.length} argument${required.length === 1 ? '' : 's'}`, {
        expected: required.map(describeArg).join(' '),
      }),
    );
    return;
  }
  const typed = [...required, ...optional];
  let i = 0;
  for (; i < args.length && i < typed.length; i++) {
    const tok = args[i]!;
    if (i >= required.length && isSlash(tok)) break; // an optional slot holding `//...` is the extra-words case
    const problem = argProblem(tok, typed[i]!);
    if (problem) {
      out.push(
        diag('error', 'invalid-value', tok, `invalid value "${clip(tok.text)}" for "${kw.text}"`, {
          expected: problem,
          ...(isSlash(tok) && { hint: COMMENT_HINT }),
        }),
      );
    }
  }
  if (spec.unsupported || spec.rest === 'free') return;
  const extra = args.slice(i);
  if (extra.length === 0) return;
  const severity = spec.rest === 'error' ? 'error' : 'warning';
  const words = clip(extra.map((t) => t.text).join(' '));
  const what = severity === 'error' ? 'keepalived rejects them' : 'keepalived ignores them';
  if (isSlash(extra[0]!)) {
    out.push(diag(severity, 'slash-comment', extra[0]!, `text after "${kw.text}" starting with "//" is not a comment: ${what}`, { hint: COMMENT_HINT }));
  } else {
    out.push(
      diag(severity, 'extra-argument', extra[0]!, `extra words after "${kw.text}": "${words}" (${what})`, {
        expected: typed.length ? typed.map(describeArg).join(' ') : 'no arguments',
      }),
    );
  }
}

function describeArg(a: Arg): string {
  switch (a.type) {
    case 'int':
      return a.min !== undefined && a.max !== undefined ? `an integer ${a.min}..${a.max}` : a.min !== undefined ? `an integer >= ${a.min}` : 'an integer';
    case 'seconds':
      return a.max !== undefined ? `seconds (${a.min ?? 0}..${a.max}, fractions allowed)` : 'seconds (fractions allowed)';
    case 'enum':
      return `one of ${a.values.join('|')}`;
    case 'ip':
      return 'an IPv4 or IPv6 address';
    case 'prefix':
      return 'an address or address/prefix-length';
    case 'bool':
      return 'on|off|true|false|yes|no';
    case 'word':
      return 'a value';
  }
}

/** Returns what was expected when `tok` does not fit `arg`, else undefined. */
export function argProblem(tok: Token, arg: Arg): string | undefined {
  const t = tok.text;
  switch (arg.type) {
    case 'int': {
      if (!/^[-+]?\d+$/.test(t)) return describeArg(arg);
      const v = Number(t);
      if ((arg.min !== undefined && v < arg.min) || (arg.max !== undefined && v > arg.max)) return describeArg(arg);
      return undefined;
    }
    case 'seconds': {
      if (!/^\d+(\.\d+)?$|^\.\d+$/.test(t)) return describeArg(arg);
      const v = Number(t);
      if ((arg.min !== undefined && v < arg.min) || (arg.max !== undefined && v > arg.max)) return describeArg(arg);
      return undefined;
    }
    case 'enum':
      return (arg.caseInsensitive ? arg.values.some((v) => v.toLowerCase() === t.toLowerCase()) : arg.values.includes(t))
        ? undefined
        : describeArg(arg);
    case 'ip':
      return isIP(t) ? undefined : describeArg(arg);
    case 'prefix':
      return isPrefix(t) ? undefined : describeArg(arg);
    case 'bool':
      return /^(on|off|true|false|yes|no)$/i.test(t) ? undefined : describeArg(arg);
    case 'word':
      return undefined;
  }
}

export function isPrefix(t: string): boolean {
  const [addr, len, more] = t.split('/');
  if (more !== undefined || !addr) return false;
  const family = isIP(addr);
  if (!family) return false;
  if (len === undefined) return true;
  if (!/^\d+$/.test(len)) return false;
  return Number(len) <= (family === 4 ? 32 : 128);
}

function checkVirtualServerAddress(node: ConfNode, out: Diagnostic[]): void {
  const [first, second] = node.args;
  if (!first) return;
  if (first.text === 'fwmark' || first.text === 'group') {
    if (!second) out.push(diag('error', 'missing-argument', first, `"virtual_server ${first.text}" needs a ${first.text === 'fwmark' ? 'mark number' : 'group name'}`));
    else if (first.text === 'fwmark' && !/^\d+$/.test(second.text))
      out.push(diag('error', 'invalid-value', second, `invalid fwmark "${second.text}"`, { expected: 'an integer' }));
    return;
  }
  if (!isIP(first.text)) {
    out.push(diag('error', 'invalid-value', first, `invalid virtual_server address "${clip(first.text)}"`, { expected: 'IP [port] | fwmark N | group NAME' }));
  }
  if (second && !/^\d+$/.test(second.text)) {
    out.push(diag('error', 'invalid-value', second, `invalid port "${clip(second.text)}"`, { expected: 'a port 0..65535' }));
  }
}

const ADDRESS_VALUE_OPTIONS = new Set(['brd', 'broadcast', 'dev', 'scope', 'label', 'peer', 'preferred_lft', 'track_group']);
const ADDRESS_FLAG_OPTIONS = new Set(['home', '-nodad', 'nodad', 'mngtmpaddr', 'noprefixroute', 'autojoin', 'no_track']);
const ROUTE_TYPES = new Set(['blackhole', 'unreachable', 'prohibit', 'throw', 'unicast', 'local', 'broadcast', 'anycast', 'multicast']);

function checkListLine(node: ConfNode, kind: ListKind, blockName: string, out: Diagnostic[]): void {
  const toks = [node.keyword, ...node.args];
  const slash = toks.find(isSlash);
  switch (kind) {
    case 'address': {
      if (!isPrefix(toks[0]!.text)) {
        out.push(diag('error', 'invalid-value', toks[0]!, `invalid address "${clip(toks[0]!.text)}" in ${blockName}`, { expected: 'IP[/prefix-length]' }));
        return;
      }
      for (let i = 1; i < toks.length; i++) {
        const t = toks[i]!;
        if (ADDRESS_VALUE_OPTIONS.has(t.text)) {
          if (!toks[i + 1]) out.push(diag('error', 'missing-argument', t, `"${t.text}" needs a value`));
          i++;
        } else if (!ADDRESS_FLAG_OPTIONS.has(t.text)) {
          out.push(
            diag('error', isSlash(t) ? 'slash-comment' : 'invalid-value', t, `unknown address option "${clip(t.text)}" (keepalived rejects it)`, {
              expected: 'brd|dev|scope|label|peer|preferred_lft|home|-nodad|mngtmpaddr|noprefixroute|autojoin|no_track',
              ...(isSlash(t) && { hint: COMMENT_HINT }),
            }),
          );
          return;
        }
      }
      return;
    }
    case 'tracked': {
      let i = 1;
      if (toks[i]?.text === 'weight') {
        const w = toks[i + 1];
        if (!w || argProblem(w, { type: 'int', min: -254, max: 254 }))
          out.push(diag('error', 'invalid-value', w ?? toks[i]!, 'invalid tracking weight', { expected: 'an integer -254..254' }));
        i += 2;
        if (toks[i]?.text === 'reverse' || toks[i]?.text === 'noreverse') i++;
      }
      if (toks[i]) {
        out.push(
          diag('error', isSlash(toks[i]!) ? 'slash-comment' : 'extra-argument', toks[i]!, `unexpected "${clip(toks[i]!.text)}" in ${blockName}`, {
            expected: 'NAME [weight W [reverse]]',
            ...(isSlash(toks[i]!) && { hint: COMMENT_HINT }),
          }),
        );
      }
      return;
    }
    case 'names':
      if (slash) out.push(diag('error', 'slash-comment', slash, `"${clip(slash.text)}" is read as a name in ${blockName}`, { hint: COMMENT_HINT }));
      return;
    case 'peer': {
      if (!isIP(toks[0]!.text)) out.push(diag('error', 'invalid-value', toks[0]!, `invalid unicast peer "${clip(toks[0]!.text)}"`, { expected: 'an IP address' }));
      for (let i = 1; i < toks.length; i += 2) {
        const t = toks[i]!;
        if ((t.text !== 'min_ttl' && t.text !== 'max_ttl') || !toks[i + 1] || argProblem(toks[i + 1]!, { type: 'int', min: 0, max: 255 })) {
          out.push(diag('error', 'invalid-value', t, `unexpected "${clip(t.text)}" after unicast peer`, { expected: 'min_ttl N | max_ttl N' }));
          return;
        }
      }
      return;
    }
    case 'route': {
      let i = 0;
      if (toks[i]?.text === 'src') i += 2;
      if (toks[i]?.text === 'to') i++;
      if (toks[i] && ROUTE_TYPES.has(toks[i]!.text)) i++;
      const dest = toks[i];
      if (!dest || (dest.text !== 'default' && !isPrefix(dest.text))) {
        out.push(diag('error', 'invalid-value', dest ?? toks[0]!, `invalid route destination "${clip(dest?.text ?? '')}" in ${blockName}`, { expected: 'PREFIX/LEN or default' }));
      }
      if (slash) out.push(diag('error', 'slash-comment', slash, `"${clip(slash.text)}" is read as a route option`, { hint: COMMENT_HINT }));
      return;
    }
    case 'free':
      if (slash) out.push(diag('warning', 'slash-comment', slash, `"${clip(slash.text)}" is read as a value in ${blockName}`, { hint: COMMENT_HINT }));
      return;
  }
}
