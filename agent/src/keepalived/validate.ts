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
import { blockHaving, keywordMap, keywordOf, lookupBlock, rootBlock, type Arg, type BlockSpec, type KeywordSpec, type ListKind } from './keywords/index.ts';
import type { Token } from './lexer.ts';
import { MAX_DIAGNOSTICS, MAX_SUGGEST_LENGTH } from './limits.ts';
import type { ConfNode } from './tree.ts';
import { closestMatch } from './suggest.ts';

const COMMENT_HINT = '"//" is not a comment in keepalived.conf; start comments with "#" or "!"';

export function validateTree(tree: ConfNode[]): Diagnostic[] {
  const out: Diagnostic[] = [];
  walk(tree, rootBlock, out);
  return out;
}

function walk(nodes: ConfNode[], block: BlockSpec, out: Diagnostic[]): void {
  // keepalived keeps the first of some keywords per block ("already specified - ignoring").
  const firstSeen = new Map<string, Token>();
  for (const node of nodes) {
    if (node.keyword.text === '{' && !node.keyword.quoted) {
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
    if (block.list) {
      checkListLine(node, block.list, block.name, out);
      if (node.children) out.push(diag('error', 'unexpected-block', node.open!, `unexpected block inside "${block.name}"`));
      continue;
    }
    const spec = keywordOf(block, node.keyword.text);
    if (!spec) {
      unknownKeyword(node, block, out);
      continue;
    }
    if (spec.firstWins) {
      const first = firstSeen.get(node.keyword.text);
      if (first) {
        out.push(diag('warning', 'keepalived-differs', node.keyword, `"${node.keyword.text}" is already set in this ${block.name} (line ${first.line}): keepalived keeps the first and ignores this one, and so does Vigil`, {
          hint: 'delete one of them',
        }));
        continue;
      }
      firstSeen.set(node.keyword.text, node.keyword);
    }
    checkKeyword(node, spec, block, out);
  }
}

function isSlash(t: Token): boolean {
  return !t.quoted && t.text.startsWith('//');
}

function clip(s: string): string {
  if (s.length <= 40) return s;
  const chars = Array.from(s.slice(0, 80));
  return chars.length > 40 ? `${chars.slice(0, 40).join('')}…` : s;
}

/** Words tried when joining `lvs sync daemon interface` back into one keyword. */
const MAX_JOINED_WORDS = 5;

function unknownKeyword(node: ConfNode, block: BlockSpec, out: Diagnostic[]): void {
  const kw = node.keyword;
  const keywords = keywordMap(block);
  let hint: string | undefined;
  // `lvs sync daemon interface eth0`: words that were meant to be joined with underscores.
  // Bounded: a line of 30,000 words must not cost 30,000 joins of 30,000 words.
  const joinable = node.args.slice(0, MAX_JOINED_WORDS - 1);
  for (let k = joinable.length; k >= 1 && !hint; k--) {
    const joined = [kw.text, ...joinable.slice(0, k).map((a) => a.text)].join('_');
    if (joined.length <= MAX_SUGGEST_LENGTH && keywords.has(joined)) {
      hint = `did you mean "${clip([joined, ...node.args.slice(k).map((a) => a.text)].join(' '))}"?`;
    }
  }
  // Past MAX_DIAGNOSTICS nobody reads the hints: a file of 30,000 unknown words gets none.
  const near = hint || out.length > MAX_DIAGNOSTICS ? undefined : closestMatch(kw.text, keywords.keys());
  if (near) hint = `did you mean "${near}"?`;
  if (!hint && out.length <= MAX_DIAGNOSTICS) {
    const elsewhere = blockHaving(kw.text);
    if (elsewhere) hint = `"${kw.text}" belongs in a "${elsewhere.name}" block, not in "${block.name}"`;
  }
  if (!hint && node.afterBackslash) {
    hint = 'the line before ends with "\\", but keepalived does not join lines (only inside a multi-line $NAME= definition): this line is read as a keyword of its own';
  }
  if (!hint && /^\$[A-Za-z_][A-Za-z0-9_]*[ \t]*$/.test(kw.text) && node.args[0]?.text.startsWith('=')) {
    hint = 'a parameter is defined as $NAME=VALUE, with no blank before "="';
  }
  out.push(
    diag('error', 'unknown-keyword', kw, `unknown keyword "${clip(kw.text)}" in ${block.name}`, {
      ...(hint !== undefined && { hint }),
    }),
  );
  // A misspelt block keyword (`lobal_defs {`): check its contents as the block it was meant to be.
  const meant = near ? keywordOf(block, near) : undefined;
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
  if (spec.ignored) {
    out.push(diag('warning', 'deprecated', kw, `"${kw.text}" is not a keepalived keyword in ${block.name}: keepalived ignores it, and so does Vigil (${spec.ignored.because})`, { hint: spec.ignored.hint }));
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
  const special = SPECIAL.get(kw.text);
  if (special) special(node, out);
  else checkArgs(kw, node.args, spec, out);
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
    if (!problem && typed[i]!.type === 'ip') noteStrippedAddress(kw, tok, out);
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

/** keepalived silently reads "10.0.0.5/24" as 10.0.0.5 in address arguments: say so, quietly. */
function noteStrippedAddress(kw: Token | undefined, tok: Token, out: Diagnostic[]): void {
  const addr = keepalivedAddress(tok.text);
  if (addr === undefined || addr === tok.text) return;
  const what = kw ? `"${clip(tok.text)}" after "${kw.text}"` : `unicast peer "${clip(tok.text)}"`;
  out.push(diag('info', 'keepalived-differs', tok, `${what}: keepalived reads only the address ${addr} and ignores "${tok.text.slice(addr.length)}"; so does Vigil`));
}

const LVS_METHODS = ['NAT', 'DR', 'TUN'];

/**
 * `lvs_method`/`lb_kind`/`sorry_server_lvs_method METHOD [type ipip|gue|gre] [port N]
 * [nocsum|csum|remcsum]` with keepalived's rules (check_parser.c `svr_forwarding_handler`). The
 * method is compared case-sensitively: keepalived reports "unknown [dr] routing method" and keeps
 * its default (NAT), so Vigil runs NAT too and warns. Any other word after the method is an
 * error in keepalived ("Invalid tunnel option"), whatever the method.
 */
function checkLvsMethod(node: ConfNode, out: Diagnostic[]): void {
  const kw = node.keyword;
  const [method, ...opts] = node.args;
  if (!method) {
    out.push(diag('error', 'missing-argument', { ...kw, column: kw.column + Array.from(kw.text).length }, `"${kw.text}" needs a forwarding method`, { expected: 'NAT|DR|TUN' }));
    return;
  }
  if (!LVS_METHODS.includes(method.text)) {
    const upper = method.text.toUpperCase();
    if (LVS_METHODS.includes(upper)) {
      out.push(diag('warning', 'keepalived-differs', method, `keepalived does not recognise "${method.text}" (it compares case-sensitively) and keeps its default method NAT; Vigil runs NAT too`, {
        hint: `write "${upper}" to get ${upper}`,
      }));
    } else {
      out.push(diag('error', 'invalid-value', method, `invalid value "${clip(method.text)}" for "${kw.text}"`, { expected: 'NAT|DR|TUN' }));
    }
    return;
  }
  let type = 'ipip';
  let port = false;
  let csum = 'nocsum';
  for (let i = 0; i < opts.length; i++) {
    const t = opts[i]!;
    const value = opts[i + 1];
    const bad = (message: string, expected: string) => {
      out.push(diag('error', isSlash(t) ? 'slash-comment' : 'invalid-value', t, message, { expected, ...(isSlash(t) && { hint: COMMENT_HINT }) }));
    };
    if (t.text === 'type') {
      if (!value || !['ipip', 'gue', 'gre'].includes(value.text)) return bad(`invalid tunnel type "${clip(value?.text ?? '')}" after "${kw.text}"`, 'type ipip|gue|gre');
      type = value.text;
      i++;
    } else if (t.text === 'port') {
      if (!value || argProblem(value, { type: 'int', min: 1, max: 65535 })) return bad(`invalid gue tunnel port "${clip(value?.text ?? '')}"`, 'port 1..65535');
      port = true;
      i++;
    } else if (t.text === 'nocsum' || t.text === 'csum' || t.text === 'remcsum') csum = t.text;
    else return bad(`"${clip(t.text)}" after "${kw.text} ${method.text}": keepalived rejects it ("Invalid tunnel option")`, '[type ipip|gue|gre] [port N] [nocsum|csum|remcsum]');
  }
  const at = opts[0] ?? method;
  if ((type === 'gue') !== port) out.push(diag('error', 'invalid-value', at, type === 'gue' ? 'a gue tunnel needs "port N"' : `"port" only goes with "type gue" (keepalived: "gue tunnels require port, otherwise cannot have port")`));
  else if (type === 'ipip' && csum !== 'nocsum') out.push(diag('error', 'invalid-value', at, 'ipip tunnels take no checksum option (keepalived rejects it)', { expected: 'nocsum, or type gue|gre' }));
  else if (type === 'gre' && csum === 'remcsum') out.push(diag('error', 'invalid-value', at, 'gre tunnels do not support remcsum (keepalived rejects it)', { expected: 'nocsum|csum' }));
}

/** keepalived's VRRPv2 PASS password field is 8 bytes: it truncates a longer auth_pass and runs. */
function checkAuthPass(node: ConfNode, out: Diagnostic[]): void {
  checkArgs(node.keyword, node.args, { args: [{ type: 'word' }] }, out);
  const pass = node.args[0];
  if (!pass || Buffer.byteLength(pass.text) <= 8) return;
  const kept = Buffer.from(pass.text).subarray(0, 8).toString('utf8');
  out.push(diag('warning', 'keepalived-differs', pass, `auth_pass is ${Buffer.byteLength(pass.text)} bytes: keepalived uses only the first 8 ("${kept}") and so does Vigil`, {
    hint: `write auth_pass ${kept} so every director agrees on what is sent`,
  }));
}

/**
 * `vrrp_garp_interval`/`vrrp_gna_interval`: keepalived takes 0.000001..4294.967295 s and ignores
 * anything else ("number '0' outside range"), keeping the default (no delay between gratuitous
 * ARPs / NAs). Vigil ignores it too and warns.
 */
function checkGarpInterval(node: ConfNode, out: Diagnostic[]): void {
  const v = node.args[0];
  checkArgs(node.keyword, node.args, { args: [{ type: 'seconds' }] }, out);
  if (v && /^0*(\.0*)?$/.test(v.text)) {
    out.push(diag('warning', 'invalid-value', v, `${node.keyword.text} ${v.text} is outside keepalived's range 0.000001..4294.967295: keepalived ignores the line, and so does Vigil`, {
      hint: 'delete the line for no interval, or give a positive number of seconds',
    }));
  }
}

/** `state`: keepalived compares case-sensitively and starts anything but MASTER as BACKUP. */
function checkState(node: ConfNode, out: Diagnostic[]): void {
  const v = node.args[0];
  checkArgs(node.keyword, node.args, { args: [{ type: 'word' }] }, out);
  if (!v || v.text === 'MASTER' || v.text === 'BACKUP') return;
  out.push(diag('warning', 'invalid-value', v, `state "${clip(v.text)}": keepalived knows only MASTER and BACKUP (case-sensitively) and starts the instance as BACKUP; so does Vigil`, {
    expected: 'one of MASTER|BACKUP',
  }));
}

const SPECIAL = new Map<string, (node: ConfNode, out: Diagnostic[]) => void>([
  ['state', checkState],
  ['lvs_method', checkLvsMethod],
  ['lb_kind', checkLvsMethod],
  ['sorry_server_lvs_method', checkLvsMethod],
  ['auth_pass', checkAuthPass],
  ['vrrp_garp_interval', checkGarpInterval],
  ['vrrp_gna_interval', checkGarpInterval],
]);

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
      return keepalivedAddress(t) !== undefined ? undefined : describeArg(arg);
    case 'prefix':
      return isPrefix(t) ? undefined : describeArg(arg);
    case 'bool':
      return /^(on|off|true|false|yes|no)$/i.test(t) ? undefined : describeArg(arg);
    case 'word':
      return undefined;
  }
}

/**
 * An address as keepalived's `inet_stosockaddr` reads it (unicast_src_ip, unicast_peer,
 * real_server, sorry_server, ...): the family from whether there is a ":", everything from the
 * first "-" or "/" dropped ("10.0.0.5/24" is 10.0.0.5). Undefined when that is no address.
 */
export function keepalivedAddress(t: string): string | undefined {
  const cut = t.search(/[-/]/);
  const addr = cut === -1 ? t : t.slice(0, cut);
  return isIP(addr) === (t.includes(':') ? 6 : 4) ? addr : undefined;
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
/** keepalived `parse_route`: "default", "any", "all" (either family), "default6" (IPv6, deprecated). */
export const ROUTE_DEFAULTS = new Set(['default', 'any', 'all', 'default6']);
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
      if (keepalivedAddress(toks[0]!.text) === undefined) out.push(diag('error', 'invalid-value', toks[0]!, `invalid unicast peer "${clip(toks[0]!.text)}"`, { expected: 'an IP address' }));
      else noteStrippedAddress(undefined, toks[0]!, out);
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
      let family: Token | undefined;
      for (;;) {
        if (toks[i]?.text === 'src') i += 2;
        else if (toks[i]?.text === 'inet' || toks[i]?.text === 'inet6') {
          // keepalived 2.2.7 (vrrp_iproute.c alloc_route) steps over the word after inet/inet6 too.
          family = toks[i];
          i += 2;
        } else break;
      }
      if (toks[i]?.text === 'to') i++;
      if (toks[i] && ROUTE_TYPES.has(toks[i]!.text)) i++;
      const dest = toks[i];
      if (family && !(dest && (ROUTE_DEFAULTS.has(dest.text) || isPrefix(dest.text)))) {
        out.push(diag('error', 'invalid-value', family, `keepalived 2.2.7 skips the word after "${family.text}", so this route has no destination ("Route must have a destination")`, {
          hint: family.text === 'inet6' ? 'write "default6" for the IPv6 default route, or give the destination first' : 'leave "inet" out: the destination says the family',
        }));
        return;
      }
      if (dest?.text === 'default6') {
        out.push(diag('info', 'deprecated', dest, '"default6" (the IPv6 default route) is deprecated in keepalived, which still takes it', {
          hint: 'write "::/0" (keepalived 2.2.7 cannot read the "inet6 default" its own deprecation message suggests)',
        }));
      } else if (!dest || (!ROUTE_DEFAULTS.has(dest.text) && !isPrefix(dest.text))) {
        out.push(diag('error', 'invalid-value', dest ?? toks[0]!, `invalid route destination "${clip(dest?.text ?? '')}" in ${blockName}`, { expected: 'PREFIX/LEN or default' }));
      }
      if (slash) out.push(diag('error', 'slash-comment', slash, `"${clip(slash.text)}" is read as a route option`, { hint: COMMENT_HINT }));
      const gw = toks.find((t, k) => k > i && t.text === 'gw');
      if (gw) out.push(diag('info', 'deprecated', gw, '"gw" is the old name of "via" in routes (keepalived still takes it)', { hint: 'write "via"' }));
      return;
    }
    case 'free':
      if (slash) out.push(diag('warning', 'slash-comment', slash, `"${clip(slash.text)}" is read as a value in ${blockName}`, { hint: COMMENT_HINT }));
      return;
  }
}
