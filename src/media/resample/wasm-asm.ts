/**
 * A tiny WebAssembly assembler for the subset of the text format that the resampler's kernel is written in:
 * function bodies as folded S-expressions (`(i32.add (local.get $a) (i32.const 1))`, `(loop $l ...)`), i32/f32/
 * v128 params and locals, one exported memory, and the handful of scalar and SIMD instructions in {@link OPS}.
 *
 * Why not a toolchain: wat2wasm (npm `wabt`) would be a build-time dependency for ~300 bytes of code, and a
 * committed .wasm blob cannot be reviewed. Here the kernel's source is the text in fir-wasm.ts and the bytes are
 * made from it when the module loads. During development the output was checked byte for byte against wabt's
 * wat2wasm on the same text (README, "Audio path cost").
 */

type ValType = 'i32' | 'f32' | 'v128';
const VALTYPE: Record<ValType, number> = { i32: 0x7f, f32: 0x7d, v128: 0x7b };

/** Immediate kind: none, local index, label depth, i32 literal, f32 literal, memarg (natural alignment), lane. */
type Imm = 'none' | 'local' | 'label' | 'i32' | 'f32' | 'mem' | 'lane' | 'block';

interface Op {
  code: number[];
  imm: Imm;
  /** log2 of the natural alignment, for memory instructions. */
  align?: number;
}

/** SIMD instructions are 0xfd followed by a LEB128 sub-opcode. */
function simd(sub: number, imm: Imm = 'none', align?: number): Op {
  return { code: [0xfd, ...uleb(sub)], imm, ...(align !== undefined ? { align } : {}) };
}

const OPS: Record<string, Op> = {
  block: { code: [0x02], imm: 'block' },
  loop: { code: [0x03], imm: 'block' },
  end: { code: [0x0b], imm: 'none' },
  br: { code: [0x0c], imm: 'label' },
  br_if: { code: [0x0d], imm: 'label' },
  'local.get': { code: [0x20], imm: 'local' },
  'local.set': { code: [0x21], imm: 'local' },
  'local.tee': { code: [0x22], imm: 'local' },
  'i32.load': { code: [0x28], imm: 'mem', align: 2 },
  'i32.store16': { code: [0x3b], imm: 'mem', align: 1 },
  'i32.const': { code: [0x41], imm: 'i32' },
  'f32.const': { code: [0x43], imm: 'f32' },
  'i32.lt_u': { code: [0x49], imm: 'none' },
  'i32.ge_u': { code: [0x4f], imm: 'none' },
  'i32.add': { code: [0x6a], imm: 'none' },
  'i32.sub': { code: [0x6b], imm: 'none' },
  'i32.mul': { code: [0x6c], imm: 'none' },
  'i32.or': { code: [0x72], imm: 'none' },
  'i32.shl': { code: [0x74], imm: 'none' },
  'f32.nearest': { code: [0x90], imm: 'none' },
  'f32.add': { code: [0x92], imm: 'none' },
  'f32.min': { code: [0x96], imm: 'none' },
  'f32.max': { code: [0x97], imm: 'none' },
  'i32.trunc_f32_s': { code: [0xa8], imm: 'none' },
  'v128.load': simd(0x00, 'mem', 4),
  'v128.store': simd(0x0b, 'mem', 4),
  'v128.load64_zero': simd(0x5d, 'mem', 3),
  'f32x4.splat': simd(0x13),
  'f32x4.extract_lane': simd(0x1f, 'lane'),
  'i32x4.extend_low_i16x8_s': simd(0xa7),
  'f32x4.add': simd(0xe4),
  'f32x4.mul': simd(0xe6),
  'f32x4.convert_i32x4_s': simd(0xfa),
};

function uleb(n: number): number[] {
  const out: number[] = [];
  do {
    let b = n & 0x7f;
    n >>>= 7;
    if (n !== 0) b |= 0x80;
    out.push(b);
  } while (n !== 0);
  return out;
}

function sleb(n: number): number[] {
  const out: number[] = [];
  for (;;) {
    const b = n & 0x7f;
    n >>= 7;
    if ((n === 0 && (b & 0x40) === 0) || (n === -1 && (b & 0x40) !== 0)) {
      out.push(b);
      return out;
    }
    out.push(b | 0x80);
  }
}

function str(s: string): number[] {
  return [...uleb(s.length), ...[...s].map((c) => c.charCodeAt(0))];
}

/** A length-prefixed vector of already-encoded items. */
function vec(items: number[][]): number[] {
  return [...uleb(items.length), ...items.flat()];
}

function section(id: number, body: number[]): number[] {
  return [id, ...uleb(body.length), ...body];
}

/** One exported function: `$name`-style params and locals, and a body of folded S-expressions. */
export interface WasmFunc {
  name: string;
  params: Array<[string, ValType]>;
  result?: ValType;
  locals: Array<[string, ValType]>;
  body: string;
}

/**
 * Folded S-expressions → one instruction per entry, operands first (`(op imm* child*)` is the children, then
 * `op imm*`; `(block $l child*)` and `(loop $l child*)` are `block $l`, the children, `end`).
 */
function flatten(body: string): string[][] {
  const tokens = body.replace(/;;.*$/gm, '').match(/[()]|[^\s()]+/g) ?? [];
  const out: string[][] = [];
  let i = 0;
  const expr = (): void => {
    if (tokens[i++] !== '(') throw new Error(`wasm-asm: expected '(' at token ${i - 1}`);
    const head: string[] = [tokens[i++]];
    while (i < tokens.length && tokens[i] !== '(' && tokens[i] !== ')') head.push(tokens[i++]);
    const block = head[0] === 'block' || head[0] === 'loop';
    if (block) out.push(head);
    while (tokens[i] === '(') expr();
    if (tokens[i++] !== ')') throw new Error(`wasm-asm: unbalanced parentheses after '${head[0]}'`);
    out.push(block ? ['end'] : head);
  };
  while (i < tokens.length) expr();
  return out;
}

/** Encodes one function body; labels (`block $x` / `loop $x`) and locals are referred to by name. */
function encodeBody(f: WasmFunc): number[] {
  const locals = new Map([...f.params, ...f.locals].map(([n], i) => [n, i]));
  const labels: string[] = [];
  const code: number[] = [];
  for (const [name, ...args] of flatten(f.body)) {
    const op = OPS[name];
    if (!op) throw new Error(`wasm-asm: unknown instruction '${name}' in ${f.name}`);
    code.push(...op.code);
    const arg = args[0];
    switch (op.imm) {
      case 'block':
        labels.push(arg);
        code.push(0x40); // empty block type
        break;
      case 'label': {
        const depth = labels.length - 1 - labels.lastIndexOf(arg);
        if (depth >= labels.length) throw new Error(`wasm-asm: unknown label ${arg} in ${f.name}`);
        code.push(...uleb(depth));
        break;
      }
      case 'local': {
        const i = locals.get(arg);
        if (i === undefined) throw new Error(`wasm-asm: unknown local ${arg} in ${f.name}`);
        code.push(...uleb(i));
        break;
      }
      case 'i32':
        code.push(...sleb(Number(arg)));
        break;
      case 'f32':
        code.push(...new Uint8Array(new Float32Array([Number(arg)]).buffer));
        break;
      case 'mem': {
        const offset = arg?.startsWith('offset=') ? Number(arg.slice(7)) : 0;
        code.push(...uleb(op.align!), ...uleb(offset));
        break;
      }
      case 'lane':
        code.push(Number(arg));
        break;
      case 'none':
        if (name === 'end') labels.pop();
        break;
    }
  }
  if (labels.length !== 0) throw new Error(`wasm-asm: unclosed block in ${f.name}`);
  // Locals are declared as (count, type) runs: consecutive locals of one type share an entry.
  const runs: Array<[number, ValType]> = [];
  for (const [, t] of f.locals) {
    const last = runs[runs.length - 1];
    if (last && last[1] === t) last[0]++;
    else runs.push([1, t]);
  }
  return [...vec(runs.map(([n, t]) => [...uleb(n), VALTYPE[t]])), ...code, 0x0b];
}

/**
 * Assembles a module exporting `memory` (`memoryPages` 64 KiB pages, growable) and each function by name.
 * @throws Error for an unknown instruction, local or label.
 */
export function assembleModule(funcs: WasmFunc[], memoryPages: number): Uint8Array<ArrayBuffer> {
  const types = funcs.map((f) => [0x60, ...vec(f.params.map(([, t]) => [VALTYPE[t]])), ...vec(f.result ? [[VALTYPE[f.result]]] : [])]);
  const bodies = funcs.map((f) => {
    const body = encodeBody(f);
    return [...uleb(body.length), ...body];
  });
  const exports = [[...str('memory'), 0x02, 0x00], ...funcs.map((f, i) => [...str(f.name), 0x00, ...uleb(i)])];
  return new Uint8Array([
    ...[0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00],
    ...section(1, vec(types)),
    ...section(3, vec(funcs.map((_, i) => uleb(i)))),
    ...section(5, vec([[0x00, ...uleb(memoryPages)]])),
    ...section(7, vec(exports)),
    ...section(10, vec(bodies)),
  ]);
}
