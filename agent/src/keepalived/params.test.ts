/**
 * keepalived's configuration language as the reader expands it (include.ts + params.ts), on
 * in-memory files. The same semantics are checked against keepalived 2.2.7 itself, statement by
 * statement, in test/net/keepalived-differential.test.ts.
 */
import { hostname } from 'node:os';
import { describe, expect, it } from 'vitest';
import { memoryConfigFs } from './fs.ts';
import { loadWithIncludes, type LoadOptions } from './include.ts';
import { parseLst, parseReference, parseSeq, strtol } from './params.ts';

/** Each statement as its words joined by spaces, with its line. */
function read(text: string, options: LoadOptions = { configId: 'lb1' }, files: Record<string, string> = {}) {
  const r = loadWithIncludes('/etc/k/k.conf', memoryConfigFs(files), text, options);
  return { lines: r.lines.map((l) => `${l.line}: ${l.tokens.map((t) => t.text).join(' ')}`), diagnostics: r.diagnostics, raw: r.lines };
}
const words = (text: string, options?: LoadOptions) => read(text, options).lines;

describe('parameters', () => {
  it('$NAME is replaced when followed by a blank, ",", ")" or the line end; ${NAME} anywhere', () => {
    expect(words('$A=alpha\n$A x\npre$A\npre${A}post\n$A.x\nf($A,$A)\n')).toEqual(['2: alpha x', '3: prealpha', '4: prealphapost', '5: $A.x', '6: f(alpha,alpha)']);
  });

  it('values are substituted when used (late binding), recursively', () => {
    expect(words('$B=${A}_b\n$A=1\n$B\n$A=2\n$B\n')).toEqual(['3: 1_b', '5: 2_b']);
  });

  it('an undefined parameter stays as written, and the token says which', () => {
    const r = read('interface $IF\nx ${NOPE}z\n');
    expect(r.lines).toEqual(['1: interface $IF', '2: x $ { NOPE } z']);
    expect(r.raw[0]!.tokens[1]!.unresolved).toEqual(['IF']);
  });

  it('no blank before "=": "$X =1" is not a definition', () => {
    expect(words('$X =1\n')).toEqual(['1: $X =1']);
  });

  it('a substituted "#" or "!" starts a comment outside quotes (keepalived decomments again), not inside', () => {
    expect(words('$C=cc${_HASH}dd\n$C\n"q${_HASH}q${_BANG}"\n')).toEqual(['2: cc', '3: q#q!']);
  });

  it('multi-line definitions: lines ending in "\\" continue it; a blank line or a line without "\\" ends it', () => {
    const text = '$M= \\\n  first a \\\n  second b \\\n  third\n$M\n$N=one \\\n\ntwo\n$N\n';
    expect(words(text)).toEqual(['5: first a', '5: second b', '5: third', '8: two', '9: one']);
  });

  it('a multi-line parameter is only expanded when its reference ends the line', () => {
    expect(words('$M= \\\n  a \\\n  b\nx $M\nx $M y\n')).toEqual(['4: x a', '4: b', '5: x $M y']);
  });

  it('nested multi-line definitions expand depth-first, then the outer one goes on', () => {
    const text = '$IN= \\\n  in1 \\\n  in2\n$OUT= \\\n  out1 \\\n  $IN \\\n  out2\n$OUT\n';
    expect(words(text)).toEqual(['8: out1', '8: in1', '8: in2', '8: out2']);
  });

  it('${_INSTANCE} is the config id, ${_PWD} the directory of the file being read, ${_RANDOM MIN MAX} a number in range', () => {
    expect(words('${_INSTANCE}\n${_PWD}\n${_RANDOM 5 5}\n', { configId: 'lbx', random: () => 0.99 })).toEqual(['1: lbx', '2: /etc/k', '3: 5']);
    expect(words('${_RANDOM 1 3}\n', { random: () => 0.99 })).toEqual(['1: 3']);
  });

  it('a predefined parameter may be redefined', () => {
    expect(words('$_HASH=sharp\n$_HASH\n')).toEqual(['2: sharp']);
  });

  it('a definition that refers to itself is an error (keepalived spins forever), and the line is dropped', () => {
    const r = read('$A=${A}\n$A\nnext\n');
    expect(r.lines).toEqual(['3: next']);
    expect(r.diagnostics).toMatchObject([{ severity: 'error', code: 'limit', line: 2 }]);
    expect(r.diagnostics[0]!.message).toContain('$A keeps expanding');
  });

  it('a substitution that grows the line past 1023 bytes is an error and the line is dropped', () => {
    const r = read(`$L=${'x'.repeat(600)}\n$L $L\nnext\n$D=\${D}\${D}\n$D\n`);
    expect(r.diagnostics.map((d) => `${d.severity}:${d.code}:${d.line}`)).toEqual(['error:limit:2', 'error:limit:5']);
    expect(r.lines).toEqual(['3: next']);
  });

  it('tokens built from parameters remember the definition lines', () => {
    const r = read('$P=300\n$Q=${P}\npriority $Q\n');
    expect(r.raw[0]!.tokens[1]!.via).toEqual([{ name: 'P', file: '/etc/k/k.conf', line: 1 }, { name: 'Q', file: '/etc/k/k.conf', line: 2 }]);
  });

  it('reference syntax: ${NAME params} with digits and blanks, not ending in a blank after a number', () => {
    expect(parseReference('${_RANDOM 1 2}', 0)).toEqual({ name: '_RANDOM', end: 14, braces: true, params: [1, 2] });
    expect(parseReference('${A 1 }', 0)).toBeUndefined();
    // keepalived replaces "${A " and leaves the "}".
    expect(parseReference('${A }', 0)).toEqual({ name: 'A', end: 4, braces: true });
    expect(parseReference('$9', 0)).toBeUndefined();
  });
});

describe('conditional lines', () => {
  it('@id keeps the line only for that config id; @^id only for the others', () => {
    const text = '@lb1 a\n@lb2 b\n@^lb1 c\n@^lb2 d\n';
    expect(words(text, { configId: 'lb1' })).toEqual(['1: a', '4: d']);
    expect(words(text, { configId: 'lb2' })).toEqual(['2: b', '3: c']);
  });

  it("without a config id, the id is the host name up to its first dot (keepalived's default)", () => {
    const id = hostname().split('.')[0]!;
    expect(id).not.toBe('');
    expect(words(`@${id} a\n@^${id} b\n\${_INSTANCE}\n`, {})).toEqual(['1: a', `3: ${id}`]);
  });

  it('conditionals work with definitions, and a parameter may hold one', () => {
    expect(words('@lb1 $P=240\n@^lb1 $P=100\npriority $P\n$IF_MAIN=@lb1\n$IF_MAIN x\n', { configId: 'lb1' })).toEqual(['3: priority 240', '5: x']);
    expect(words('@lb1 $P=240\n@^lb1 $P=100\npriority $P\n$IF_MAIN=@lb1\n$IF_MAIN x\n', { configId: 'lb2' })).toEqual(['3: priority 100']);
  });

  it('an @id with nothing after it is dropped, with a warning', () => {
    const r = read('@lb1\nx\n');
    expect(r.lines).toEqual(['2: x']);
    expect(r.diagnostics).toMatchObject([{ severity: 'warning', line: 1 }]);
  });

  it('an include can be conditional or use a parameter', () => {
    const files = { '/etc/k/a.conf': 'in_a\n', '/etc/k/b.conf': 'in_b\n' };
    expect(read('@lb1 include a.conf\n@^lb1 include b.conf\n$F=b.conf\ninclude $F\n', { configId: 'lb1' }, files).lines).toEqual(['1: in_a', '1: in_b']);
  });
});

describe('~SEQ and ~LST', () => {
  it('~SEQ(VAR, start, step, end), ~SEQ(VAR, start, end), ~SEQ(VAR, end), ~SEQx', () => {
    expect(words('~SEQ(I, 1, 2, 5) a${I}\n~SEQ(J, 3, 1) b${J}\n~SEQ(K, 2) c${K}\n~SEQ(Z, 0) z${Z}\n~SEQx(H, 9, 11) h${H}\n')).toEqual([
      '1: a1', '1: a3', '1: a5', '2: b3', '2: b2', '2: b1', '3: c1', '3: c2', '4: z1', '4: z0', '5: h9', '5: ha', '5: hb',
    ]);
  });

  it('nested sequences, a sequence expanding a multi-line parameter, and the variable left set afterwards', () => {
    expect(words('~SEQ(A, 1, 2) ~SEQ(B, 1, 2) x${A}${B}\n$M= \\\n  m${N} \\\n  n${N}\n~SEQ(N, 1, 2) $M\n$N\n')).toEqual([
      '1: x11', '1: x12', '1: x21', '1: x22', '5: m1', '5: n1', '5: m2', '5: n2', '6: 2',
    ]);
  });

  it('~LST with one variable or several, missing values empty', () => {
    expect(words('~LST(V, a, b) v${V}\n~LST({P, Q}, {1, 2}, {3}) p${P}q${Q}\n')).toEqual(['1: va', '1: vb', '2: p1q2', '2: p3q']);
  });

  it('invalid sequences are errors naming the specification', () => {
    const r = read('~SEQ(I, 1, -1, 5) x\n~SEQ(I 1 2\n~SEQx(I, -1, 2) x\n~LST(V) x\n');
    expect(r.lines).toEqual([]);
    expect(r.diagnostics.map((d) => `${d.severity}:${d.code}:${d.line}`)).toEqual(['error:invalid-value:1', 'error:invalid-value:2', 'error:invalid-value:3', 'error:invalid-value:4']);
  });

  it('numbers as C strtol reads them with base 0', () => {
    expect([strtol('0x10)', 0), strtol(' -7,', 0), strtol('010', 0), strtol('x', 0)]).toEqual([{ value: 16, end: 4 }, { value: -7, end: 3 }, { value: 8, end: 3 }, { value: 0, end: 0 }]);
    expect(typeof parseSeq('~SEQ(I, 1)', (p) => p)).toBe('object');
    expect(typeof parseLst('~LST(I, 1')).toBe('string');
  });
});

describe('lines as keepalived reads them', () => {
  it('a trailing "\\" does not join lines outside a definition', () => {
    expect(words('notify_master /bin/x \\\n  arg\n')).toEqual(['1: notify_master /bin/x\\', '2: arg']);
  });

  it('words after "{" or "}" are statements of their own; a quoted brace is a word', () => {
    expect(read('global_defs { router_id a } \nscript "a { b"\n').raw.map((l) => l.tokens.map((t) => t.text))).toEqual([['global_defs', '{', 'router_id', 'a', '}'], ['script', 'a { b']]);
  });

  it('a quote inside a word starts a new word (alloc_strvec)', () => {
    expect(words('a"b c"d\n')).toEqual(['1: a b c d']);
  });

  it('a NUL byte ends the line, with a warning', () => {
    const r = read('priority 100\u0000junk\n');
    expect(r.lines).toEqual(['1: priority 100']);
    expect(r.diagnostics).toMatchObject([{ severity: 'warning', line: 1 }]);
  });
});
