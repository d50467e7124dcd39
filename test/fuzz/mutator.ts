/**
 * A corpus mutator as fast-check arbitraries: a seed input from the corpus (raw protocol bytes from fixtures/)
 * and a list of edits in the style of AFL/libFuzzer (bit flips, byte runs, splices from another seed, line
 * shuffles, "interesting" tokens such as 4294967296 or a NUL). fast-check picks the edits, so a failing input
 * shrinks to few edits and the run replays from its seed.
 */
import fc from 'fast-check';

/** Tokens that broke parsers before (issue #12's crash classes) or sit on a boundary. */
export const INTERESTING: readonly string[] = [
  '\0',
  '\r\n',
  '\r\n\r\n',
  '\n',
  ' ',
  '\t',
  ':',
  ';',
  ',',
  '=',
  '<',
  '>',
  '"',
  '\\',
  '%',
  '%ZZ',
  '%00',
  '@',
  '[',
  ']',
  '--',
  '-1',
  '0',
  '127',
  '128',
  '255',
  '256',
  '65535',
  '65536',
  '2147483648',
  '4294967295',
  '4294967296',
  '99999999999999999999',
  '1e400',
  'NaN',
  'abcdefg',
  '\u00ff\u00fe',
  '\u2028',
  'é',
  '\uFFFD',
];

/** One edit applied to a Buffer; positions are taken modulo the current length. */
export type Edit =
  | { op: 'flip'; at: number; bit: number }
  | { op: 'set'; at: number; byte: number }
  | { op: 'insert'; at: number; bytes: Uint8Array }
  | { op: 'token'; at: number; token: number; replace: number }
  | { op: 'delete'; at: number; length: number }
  | { op: 'duplicate'; at: number; length: number; to: number }
  | { op: 'splice'; seed: number; from: number; length: number; at: number }
  | { op: 'lines'; a: number; b: number; kind: 'swap' | 'dup' | 'drop' }
  | { op: 'truncate'; at: number };

const pos = fc.nat({ max: 1 << 16 });

const editArb: fc.Arbitrary<Edit> = fc.oneof(
  fc.record({ op: fc.constant('flip' as const), at: pos, bit: fc.nat({ max: 7 }) }),
  fc.record({ op: fc.constant('set' as const), at: pos, byte: fc.constantFrom(0, 0x0a, 0x0d, 0x20, 0x7f, 0x80, 0xff, 0x3a, 0x3b) }),
  fc.record({ op: fc.constant('insert' as const), at: pos, bytes: fc.uint8Array({ minLength: 1, maxLength: 16 }) }),
  fc.record({ op: fc.constant('token' as const), at: pos, token: fc.nat({ max: INTERESTING.length - 1 }), replace: fc.nat({ max: 12 }) }),
  fc.record({ op: fc.constant('delete' as const), at: pos, length: fc.integer({ min: 1, max: 64 }) }),
  fc.record({ op: fc.constant('duplicate' as const), at: pos, length: fc.integer({ min: 1, max: 128 }), to: pos }),
  fc.record({ op: fc.constant('splice' as const), seed: pos, from: pos, length: fc.integer({ min: 1, max: 256 }), at: pos }),
  fc.record({ op: fc.constant('lines' as const), a: pos, b: pos, kind: fc.constantFrom('swap' as const, 'dup' as const, 'drop' as const) }),
  fc.record({ op: fc.constant('truncate' as const), at: pos }),
);

/** Applies one edit; `corpus` supplies splice material. Pure: returns a new Buffer. */
export function applyEdit(input: Buffer, edit: Edit, corpus: readonly Buffer[]): Buffer {
  const n = input.length;
  const at = (p: number) => (n === 0 ? 0 : p % (n + 1));
  switch (edit.op) {
    case 'flip': {
      if (n === 0) return input;
      const out = Buffer.from(input);
      out[edit.at % n] ^= 1 << edit.bit;
      return out;
    }
    case 'set': {
      if (n === 0) return Buffer.from([edit.byte]);
      const out = Buffer.from(input);
      out[edit.at % n] = edit.byte;
      return out;
    }
    case 'insert': {
      const i = at(edit.at);
      return Buffer.concat([input.subarray(0, i), Buffer.from(edit.bytes), input.subarray(i)]);
    }
    case 'token': {
      const i = at(edit.at);
      const token = Buffer.from(INTERESTING[edit.token], 'utf8');
      return Buffer.concat([input.subarray(0, i), token, input.subarray(Math.min(n, i + edit.replace))]);
    }
    case 'delete': {
      const i = at(edit.at);
      return Buffer.concat([input.subarray(0, i), input.subarray(Math.min(n, i + edit.length))]);
    }
    case 'duplicate': {
      const i = at(edit.at);
      const piece = input.subarray(i, Math.min(n, i + edit.length));
      const to = at(edit.to);
      return Buffer.concat([input.subarray(0, to), piece, input.subarray(to)]);
    }
    case 'splice': {
      if (corpus.length === 0) return input;
      const other = corpus[edit.seed % corpus.length];
      const from = other.length === 0 ? 0 : edit.from % other.length;
      const piece = other.subarray(from, Math.min(other.length, from + edit.length));
      const i = at(edit.at);
      return Buffer.concat([input.subarray(0, i), piece, input.subarray(i)]);
    }
    case 'lines':
      return editLines(input, edit.a, edit.b, edit.kind);
    case 'truncate':
      return input.subarray(0, at(edit.at));
  }
}

/** Line-level edits keep the CRLF structure a text protocol's parser looks for, so they get deeper. */
function editLines(input: Buffer, a: number, b: number, kind: 'swap' | 'dup' | 'drop'): Buffer {
  const lines = input.toString('latin1').split('\n');
  if (lines.length < 2) return input;
  const i = a % lines.length;
  const j = b % lines.length;
  if (kind === 'swap') [lines[i], lines[j]] = [lines[j], lines[i]];
  else if (kind === 'dup') lines.splice(j, 0, lines[i]);
  else lines.splice(i, 1);
  return Buffer.from(lines.join('\n'), 'latin1');
}

/** A corpus seed with 0..maxEdits edits applied (0 edits: the seed itself, which must pass too). */
export function mutated(corpus: readonly Buffer[], maxEdits = 6): fc.Arbitrary<Buffer> {
  if (corpus.length === 0) throw new Error('empty corpus');
  return fc
    .tuple(fc.nat({ max: corpus.length - 1 }), fc.array(editArb, { maxLength: maxEdits }))
    .map(([seed, edits]) => edits.reduce((buf, e) => applyEdit(buf, e, corpus), corpus[seed]));
}

/** Mutated seeds most of the time, raw random bytes sometimes (inputs no seed is near). */
export function fuzzBytes(corpus: readonly Buffer[], maxRandom = 512): fc.Arbitrary<Buffer> {
  return fc.oneof(
    { weight: 9, arbitrary: mutated(corpus) },
    { weight: 1, arbitrary: fc.uint8Array({ maxLength: maxRandom }).map((u) => Buffer.from(u)) },
  );
}
