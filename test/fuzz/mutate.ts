/**
 * Input generators of the fuzz suite (issue 21): arbitrary bytes, random DER trees, and
 * structure-aware mutations of valid samples. The mutator reads a sample into a TLV tree of its
 * own (independent of the reader under test, X.690 §8.1), descending into OCTET STRING and BIT
 * STRING values that hold DER (extensions, eContent, responseBytes), changes the tree and writes
 * it back with consistent lengths, so a change reaches the field it targets instead of being
 * refused at the outermost length; then byte-level changes (bit flips, truncation, length fields)
 * break the framing itself.
 */
import fc from 'fast-check';

/** A node of the mutator's TLV tree. */
interface Node {
  /** Identifier octets as encoded. */
  tag: Uint8Array;
  /** Primitive content (when `children` is undefined). */
  value?: Uint8Array;
  /** Children of a constructed node, or of an OCTET/BIT STRING that encapsulates DER. */
  children?: Node[];
  /** BIT STRING unused-bits octet kept in front of encapsulated children. */
  prefix?: Uint8Array;
  /** Already-encoded bytes standing for the whole node (deep nestings, random TLVs). */
  raw?: Uint8Array;
  /** The node's encoding, cached on the (immutable) trees of the samples. */
  enc?: Uint8Array;
}

/** A TLV header found in a sample: where its length field is, for length-field mutations. */
interface Header {
  readonly start: number;
  readonly lenStart: number;
  readonly valueStart: number;
  readonly end: number;
}

function readHeader(b: Uint8Array, p: number, limit: number): Header | undefined {
  const start = p;
  if (p >= limit) return undefined;
  if ((b[p++]! & 0x1f) === 0x1f) {
    for (let i = 0; ; i++) {
      if (p >= limit || i > 4) return undefined;
      if ((b[p++]! & 0x80) === 0) break;
    }
  }
  if (p >= limit) return undefined;
  const lenStart = p;
  const l0 = b[p++]!;
  let len = l0;
  if (l0 >= 0x80) {
    const n = l0 & 0x7f;
    if (n === 0 || n > 4 || p + n > limit) return undefined;
    len = 0;
    for (let i = 0; i < n; i++) len = len * 256 + b[p++]!;
  }
  if (p + len > limit) return undefined;
  return { start, lenStart, valueStart: p, end: p + len };
}

/** Every TLV header reachable in `b` (best effort: a malformed region just stops the walk). */
export function headersOf(b: Uint8Array): Header[] {
  const out: Header[] = [];
  const walk = (from: number, to: number, depth: number): void => {
    let p = from;
    while (p < to && out.length < 4096) {
      const h = readHeader(b, p, to);
      if (!h) return;
      out.push(h);
      const constructed = (b[h.start]! & 0x20) !== 0;
      if (depth < 64) {
        if (constructed) walk(h.valueStart, h.end, depth + 1);
        else if (b[h.start] === 0x04) walk(h.valueStart, h.end, depth + 1);
        else if (b[h.start] === 0x03 && h.end > h.valueStart) walk(h.valueStart + 1, h.end, depth + 1);
      }
      p = h.end;
    }
  };
  walk(0, b.length, 0);
  return out;
}

/** Parses `b[from, to)` fully into nodes, or undefined when it is not a sequence of TLVs. */
function parseNodes(b: Uint8Array, from: number, to: number, depth: number): Node[] | undefined {
  const nodes: Node[] = [];
  let p = from;
  while (p < to) {
    const h = readHeader(b, p, to);
    if (!h) return undefined;
    const tag = b.slice(h.start, h.lenStart);
    const first = b[h.start]!;
    let node: Node;
    if ((first & 0x20) !== 0 && depth < 64) {
      const children = parseNodes(b, h.valueStart, h.end, depth + 1);
      node = children ? { tag, children } : { tag, value: b.slice(h.valueStart, h.end) };
    } else if (first === 0x04 && h.end - h.valueStart >= 2 && depth < 64) {
      const children = parseNodes(b, h.valueStart, h.end, depth + 1);
      node = children ? { tag, children } : { tag, value: b.slice(h.valueStart, h.end) };
    } else if (first === 0x03 && h.end - h.valueStart >= 3 && b[h.valueStart] === 0 && depth < 64) {
      const children = parseNodes(b, h.valueStart + 1, h.end, depth + 1);
      node = children
        ? { tag, children, prefix: Uint8Array.of(0) }
        : { tag, value: b.slice(h.valueStart, h.end) };
    } else {
      node = { tag, value: b.slice(h.valueStart, h.end) };
    }
    nodes.push(node);
    p = h.end;
  }
  return nodes;
}

/** Minimal DER length octets (X.690 §10.1). */
export function derLength(len: number): Uint8Array {
  if (len < 0x80) return Uint8Array.of(len);
  const bytes: number[] = [];
  for (let n = len; n > 0; n = Math.floor(n / 256)) bytes.unshift(n % 256);
  return Uint8Array.of(0x80 | bytes.length, ...bytes);
}

function concat(parts: ReadonlyArray<Uint8Array>): Uint8Array {
  let n = 0;
  for (const p of parts) n += p.length;
  const out = new Uint8Array(n);
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

function serialize(node: Node): Uint8Array {
  if (node.raw) return node.raw;
  if (node.enc) return node.enc;
  const content = node.children
    ? concat([...(node.prefix ? [node.prefix] : []), ...node.children.map(serialize)])
    : (node.value ?? new Uint8Array(0));
  return concat([node.tag, derLength(content.length), content]);
}

/** One node of a flattened tree: the node, the flat index of its parent (-1 at the top), its index there. */
interface Flat {
  readonly node: Node;
  readonly up: number;
  readonly index: number;
}

/** Every node of a tree in pre-order. */
function flatten(roots: ReadonlyArray<Node>): Flat[] {
  const out: Flat[] = [];
  const walk = (list: ReadonlyArray<Node>, up: number): void => {
    list.forEach((node, index) => {
      const me = out.length;
      out.push({ node, up, index });
      if (node.children) walk(node.children, me);
    });
  };
  walk(roots, -1);
  return out;
}

/**
 * Makes the children list holding `flat[at]` writable: copies every node on the way down from
 * `roots` (a fresh array). Cached sample trees are shared and never written to.
 */
function writablePath(roots: Node[], flat: ReadonlyArray<Flat>, at: number): Node[] {
  const chain: Flat[] = [];
  for (let i = flat[at]!.up; i >= 0; i = flat[i]!.up) chain.unshift(flat[i]!);
  let list = roots;
  for (const a of chain) {
    const src = list[a.index]!;
    const copy: Node = { tag: src.tag, children: [...(src.children ?? [])] };
    if (src.prefix) copy.prefix = src.prefix;
    list[a.index] = copy;
    list = copy.children!;
  }
  return list;
}

/** Parsed trees of the samples, with each node's encoding cached (the samples are parsed once). */
const trees = new WeakMap<Uint8Array, Node[] | null>();

function treeOf(sample: Uint8Array): Node[] | null {
  let t = trees.get(sample);
  if (t === undefined) {
    t = parseNodes(sample, 0, sample.length, 0) ?? null;
    if (t) for (const { node } of flatten(t)) node.enc = serialize(node);
    trees.set(sample, t);
  }
  return t;
}

/**
 * `depth` nested constructed TLVs with tag `tag` around `inner`, written in one allocation (a
 * nesting of thousands is a stack-depth probe for recursive parsers).
 */
export function nest(inner: Uint8Array, depth: number, tag = 0x30): Uint8Array {
  const lens: number[] = [];
  let len = inner.length;
  for (let i = 0; i < depth; i++) {
    lens.push(len);
    len += 1 + derLength(len).length;
  }
  const out = new Uint8Array(len);
  let o = 0;
  for (let i = depth - 1; i >= 0; i--) {
    out[o++] = tag;
    const l = derLength(lens[i]!);
    out.set(l, o);
    o += l.length;
  }
  out.set(inner, o);
  return out;
}

/** Tags worth trying: the universal ones X.509/CMS/OCSP use and the context tags they carry. */
const TAGS = [
  0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x0a, 0x0c, 0x13, 0x14, 0x16, 0x17, 0x18, 0x1e, 0x30, 0x31, 0x80, 0x81,
  0x82, 0x83, 0x86, 0x87, 0x88, 0xa0, 0xa1, 0xa2, 0xa3, 0xa4, 0xbf, 0x00, 0x1f, 0xff,
];
const tagArb = fc.oneof(
  { weight: 4, arbitrary: fc.constantFrom(...TAGS) },
  { weight: 1, arbitrary: fc.integer({ min: 0, max: 255 }) },
);

/** Values worth trying in a primitive field: boundaries of INTEGER, BOOLEAN, time and strings. */
const valueArb = fc.oneof(
  fc.uint8Array({ maxLength: 40 }),
  fc.constantFrom(
    new Uint8Array(0),
    Uint8Array.of(0),
    Uint8Array.of(0xff),
    Uint8Array.of(0x80),
    Uint8Array.of(0, 0),
    Uint8Array.of(0, 0x7f),
    Uint8Array.of(0xff, 0x80),
    Uint8Array.of(8),
    Uint8Array.of(0x7f, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff),
    new TextEncoder().encode('991231235960Z'),
    new TextEncoder().encode('20260230000000Z'),
    new TextEncoder().encode('19491231235959Z'),
    new TextEncoder().encode('500101000000+0900'),
    Uint8Array.of(0xc3, 0x28),
    Uint8Array.of(0xed, 0xa0, 0x80),
    Uint8Array.of(0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x0b),
    Uint8Array.of(0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x01),
    new Uint8Array(300).fill(0x41),
  ),
);

/** A tree-level change: applied on the parsed sample, lengths stay consistent. */
type TreeOp =
  | { op: 'value'; at: number; value: Uint8Array }
  | { op: 'tag'; at: number; tag: number }
  | { op: 'drop'; at: number }
  | { op: 'dup'; at: number; times: number }
  | { op: 'swap'; at: number }
  | { op: 'nest'; at: number; depth: number; tag: number }
  | { op: 'splice'; at: number; donor: number; from: number }
  | { op: 'random'; at: number; bytes: Uint8Array };

const treeOpArb: fc.Arbitrary<TreeOp> = fc.oneof(
  fc.record({ op: fc.constant('value' as const), at: fc.nat(), value: valueArb }),
  fc.record({ op: fc.constant('tag' as const), at: fc.nat(), tag: tagArb }),
  fc.record({ op: fc.constant('drop' as const), at: fc.nat() }),
  fc.record({ op: fc.constant('dup' as const), at: fc.nat(), times: fc.integer({ min: 1, max: 40 }) }),
  fc.record({ op: fc.constant('swap' as const), at: fc.nat() }),
  fc.record({
    op: fc.constant('nest' as const),
    at: fc.nat(),
    depth: fc.oneof(
      { weight: 5, arbitrary: fc.integer({ min: 1, max: 8 }) },
      fc.integer({ min: 100, max: 5000 }),
    ),
    tag: fc.constantFrom(0x30, 0x31, 0xa0, 0xa3, 0x04),
  }),
  fc.record({ op: fc.constant('splice' as const), at: fc.nat(), donor: fc.nat(), from: fc.nat() }),
  fc.record({ op: fc.constant('random' as const), at: fc.nat(), bytes: fc.uint8Array({ maxLength: 24 }) }),
);

function applyTreeOp(roots: Node[], op: TreeOp, donors: () => ReadonlyArray<Node[]>): void {
  const all = flatten(roots);
  if (all.length === 0) return;
  const at = op.at % all.length;
  const { node, index } = all[at]!;
  const parent = writablePath(roots, all, at);
  switch (op.op) {
    case 'value':
      parent[index] = { tag: node.tag, value: op.value };
      return;
    case 'tag':
      // 0x1f / 0xbf start a high tag number (X.690 §8.1.2.4): give it subsequent octets.
      {
        const { enc: _cached, ...rest } = node;
        parent[index] = {
          ...rest,
          tag: (op.tag & 0x1f) === 0x1f ? Uint8Array.of(op.tag, 0x81, 0x00) : Uint8Array.of(op.tag),
        };
      }
      return;
    case 'drop':
      parent.splice(index, 1);
      return;
    case 'dup':
      parent.splice(index, 0, ...Array.from({ length: op.times }, () => node));
      return;
    case 'swap':
      if (index + 1 < parent.length) [parent[index], parent[index + 1]] = [parent[index + 1]!, node];
      return;
    case 'nest':
      // One opaque blob: a nesting thousands deep costs no recursion in the mutator itself.
      parent[index] = { tag: Uint8Array.of(op.tag), raw: nest(serialize(node), op.depth, op.tag) };
      return;
    case 'splice': {
      const ts = donors();
      const donor = ts.length ? flatten(ts[op.donor % ts.length]!) : all;
      if (donor.length) parent[index] = donor[op.from % donor.length]!.node;
      return;
    }
    case 'random':
      parent.splice(index, 0, { tag: new Uint8Array(0), raw: op.bytes });
      return;
  }
}

/** A byte-level change: breaks framing (lengths, truncation, stray bits). */
type ByteOp =
  | { op: 'flip'; at: number; bit: number }
  | { op: 'set'; at: number; value: number }
  | { op: 'truncate'; at: number }
  | { op: 'delete'; at: number; len: number }
  | { op: 'insert'; at: number; bytes: Uint8Array }
  | { op: 'length'; at: number; kind: number; value: number }
  | { op: 'append'; bytes: Uint8Array };

const byteOpArb: fc.Arbitrary<ByteOp> = fc.oneof(
  {
    weight: 3,
    arbitrary: fc.record({
      op: fc.constant('flip' as const),
      at: fc.nat(),
      bit: fc.integer({ min: 0, max: 7 }),
    }),
  },
  {
    weight: 2,
    arbitrary: fc.record({
      op: fc.constant('set' as const),
      at: fc.nat(),
      value: fc.integer({ min: 0, max: 255 }),
    }),
  },
  { weight: 2, arbitrary: fc.record({ op: fc.constant('truncate' as const), at: fc.nat() }) },
  {
    weight: 1,
    arbitrary: fc.record({
      op: fc.constant('delete' as const),
      at: fc.nat(),
      len: fc.integer({ min: 1, max: 16 }),
    }),
  },
  {
    weight: 1,
    arbitrary: fc.record({
      op: fc.constant('insert' as const),
      at: fc.nat(),
      bytes: fc.uint8Array({ minLength: 1, maxLength: 8 }),
    }),
  },
  {
    weight: 4,
    arbitrary: fc.record({
      op: fc.constant('length' as const),
      at: fc.nat(),
      kind: fc.integer({ min: 0, max: 9 }),
      value: fc.integer({ min: 0, max: 0xffffff }),
    }),
  },
  {
    weight: 1,
    arbitrary: fc.record({
      op: fc.constant('append' as const),
      bytes: fc.uint8Array({ minLength: 1, maxLength: 8 }),
    }),
  },
);

/** Rewrites the length field of one TLV header (X.690 §8.1.3) to a wrong, odd or non-DER form. */
function newLength(h: Header, kind: number, value: number): Uint8Array {
  const len = h.end - h.valueStart;
  switch (kind) {
    case 0:
      return derLength(len + 1);
    case 1:
      return derLength(Math.max(0, len - 1));
    case 2:
      return derLength(value % (len + 64));
    case 3:
      return Uint8Array.of(0x80); // indefinite (BER only)
    case 4:
      return Uint8Array.of(0x81, len & 0x7f); // non-minimal long form
    case 5:
      return Uint8Array.of(0x84, 0xff, 0xff, 0xff, 0xff);
    case 6:
      return Uint8Array.of(0x87, 0x01, 0, 0, 0, 0, 0, 0);
    case 7:
      return Uint8Array.of(0x82, 0x00, len & 0xff); // leading zero octet
    case 8:
      return derLength(0);
    default:
      return Uint8Array.of(0x86, 0, 0, 0, (value >> 16) & 0xff, (value >> 8) & 0xff, value & 0xff);
  }
}

function applyByteOp(b: Uint8Array, op: ByteOp): Uint8Array {
  const n = b.length;
  switch (op.op) {
    case 'flip': {
      if (n === 0) return b;
      const c = b.slice();
      c[op.at % n]! ^= 1 << op.bit;
      return c;
    }
    case 'set': {
      if (n === 0) return b;
      const c = b.slice();
      c[op.at % n] = op.value;
      return c;
    }
    case 'truncate':
      return b.slice(0, op.at % (n + 1));
    case 'delete': {
      const at = op.at % (n + 1);
      return concat([b.subarray(0, at), b.subarray(Math.min(n, at + op.len))]);
    }
    case 'insert': {
      const at = op.at % (n + 1);
      return concat([b.subarray(0, at), op.bytes, b.subarray(at)]);
    }
    case 'length': {
      const hs = headersOf(b);
      if (hs.length === 0) return b;
      const h = hs[op.at % hs.length]!;
      return concat([b.subarray(0, h.lenStart), newLength(h, op.kind, op.value), b.subarray(h.valueStart)]);
    }
    case 'append':
      return concat([b, op.bytes]);
  }
}

/** Applies tree changes (when the sample parses as DER) and then byte changes. */
export function mutate(
  sample: Uint8Array,
  treeOps: ReadonlyArray<TreeOp>,
  byteOps: ReadonlyArray<ByteOp>,
  donors: ReadonlyArray<Uint8Array> = [],
): Uint8Array {
  let b = sample;
  if (treeOps.length > 0) {
    const tree = treeOf(sample);
    if (tree) {
      const roots = [...tree];
      const lazyDonors = (): Node[][] => donors.map((d) => treeOf(d) ?? []);
      for (const op of treeOps) applyTreeOp(roots, op, lazyDonors);
      b = concat(roots.map(serialize));
    }
  }
  for (const op of byteOps) b = applyByteOp(b, op);
  return b;
}

/** Structure-aware mutations of `samples`: 0–3 tree changes, then 0–3 byte changes (at least one change). */
export function mutatedSample(samples: ReadonlyArray<Uint8Array>): fc.Arbitrary<Uint8Array> {
  return fc
    .record({
      i: fc.nat({ max: samples.length - 1 }),
      treeOps: fc.array(treeOpArb, { maxLength: 3 }),
      byteOps: fc.array(byteOpArb, { maxLength: 3 }),
    })
    .filter((r) => r.treeOps.length + r.byteOps.length > 0)
    .map((r) => mutate(samples[r.i]!, r.treeOps, r.byteOps, samples));
}

/** Random DER-shaped trees (well-framed, arbitrary content): reach deeper than random bytes. */
export const randomDer: fc.Arbitrary<Uint8Array> = fc
  .letrec<{ node: Node }>((tie) => ({
    node: fc.oneof(
      { depthSize: 'small', withCrossShrink: true },
      fc.record({ tag: tagArb.map((t) => Uint8Array.of(t & ~0x20 & 0xff)), value: valueArb }),
      fc.record({
        tag: fc.constantFrom(0x30, 0x31, 0xa0, 0xa1, 0xa2, 0xa3).map((t) => Uint8Array.of(t)),
        children: fc.array(tie('node'), { maxLength: 5 }),
      }),
    ),
  }))
  .node.map(serialize);

/** The inputs of a byte-level fuzz target: mostly mutated samples, some random DER and raw bytes. */
export function fuzzInput(samples: ReadonlyArray<Uint8Array>): fc.Arbitrary<Uint8Array> {
  return fc.oneof(
    { weight: 8, arbitrary: mutatedSample(samples) },
    { weight: 1, arbitrary: randomDer },
    { weight: 1, arbitrary: fc.uint8Array({ maxLength: 300 }) },
  );
}
