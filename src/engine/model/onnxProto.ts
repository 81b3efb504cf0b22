/**
 * The little of an `.onnx` file (a protobuf ModelProto, onnx/onnx.proto) that onnxruntime's
 * JavaScript API does not tell: the graph's nodes (a ZipMap and its class labels, a classifier's
 * `classlabels_*`), and each input's and output's type beyond tensors. Read with a minimal protobuf
 * wire-format reader, so that the browser runtime of a web push can use it too. Pure: no I/O.
 *
 * Also `withExtraOutput`: a model whose probabilities end in a ZipMap (a sequence of maps, which
 * onnxruntime-node and -web cannot return) gets the ZipMap's input appended to the graph's outputs.
 * Protobuf merges a repeated occurrence of a message field into the first, so appending a second
 * `graph` field holding only that output to the file's bytes adds it without re-encoding the model.
 */

/** TensorProto.DataType numbers → onnxruntime's element type names. */
const ELEMENT_TYPES: Readonly<Record<number, string>> = {
  1: 'float32', 2: 'uint8', 3: 'int8', 4: 'uint16', 5: 'int16', 6: 'int32', 7: 'int64', 8: 'string', 9: 'bool', 10: 'float16', 11: 'float64', 12: 'uint32', 13: 'uint64',
};

export interface OnnxValueInfo {
  readonly name: string;
  /** `tensor`, `sequence`, `map` (or `unknown`, a type this reader does not know). */
  readonly kind: 'tensor' | 'sequence' | 'map' | 'unknown';
  /** A tensor's element type (onnxruntime's name), e.g. float32, int64, string. */
  readonly elementType?: string;
  /** A tensor's shape: a number per fixed dimension, null for a symbolic or unknown one. */
  readonly shape?: readonly (number | null)[];
}

export interface OnnxAttribute {
  readonly name: string;
  readonly ints: readonly number[];
  readonly strings: readonly string[];
  readonly floats: readonly number[];
}

export interface OnnxNode {
  readonly opType: string;
  readonly domain: string;
  readonly inputs: readonly string[];
  readonly outputs: readonly string[];
  readonly attributes: readonly OnnxAttribute[];
}

export interface OnnxGraph {
  readonly irVersion: number;
  readonly opsets: readonly { readonly domain: string; readonly version: number }[];
  readonly nodes: readonly OnnxNode[];
  /** Graph inputs that are not initializers (the values a caller feeds). */
  readonly inputs: readonly OnnxValueInfo[];
  readonly outputs: readonly OnnxValueInfo[];
}

/** A malformed file: what was being read and where. */
export class OnnxFormatError extends Error {}

const utf8 = new TextDecoder('utf-8', { fatal: false });

/** One protobuf field: its number, and its value (a varint, or the bytes of a length-delimited field). */
interface Field {
  readonly no: number;
  readonly varint?: number;
  readonly bytes?: Uint8Array;
  readonly fixed32?: number;
}

function readVarint(buf: Uint8Array, pos: { at: number }, what: string): number {
  let result = 0;
  let scale = 1;
  for (let i = 0; i < 10; i++) {
    if (pos.at >= buf.length) throw new OnnxFormatError(`${what}: the file ends inside a number (byte ${pos.at})`);
    const b = buf[pos.at++] as number;
    result += (b & 0x7f) * scale;
    if ((b & 0x80) === 0) return result;
    scale *= 128;
  }
  throw new OnnxFormatError(`${what}: a number longer than 10 bytes (byte ${pos.at})`);
}

/** The fields of one message, in order. Throws OnnxFormatError on bytes that are not protobuf. */
function fields(buf: Uint8Array, what: string): Field[] {
  const out: Field[] = [];
  const pos = { at: 0 };
  while (pos.at < buf.length) {
    const key = readVarint(buf, pos, what);
    const no = Math.floor(key / 8);
    const wire = key % 8;
    if (no === 0) throw new OnnxFormatError(`${what}: field number 0 at byte ${pos.at} (not a protobuf message)`);
    if (wire === 0) out.push({ no, varint: readVarint(buf, pos, what) });
    else if (wire === 2) {
      const len = readVarint(buf, pos, what);
      if (pos.at + len > buf.length) throw new OnnxFormatError(`${what}: field ${no} claims ${len} bytes at byte ${pos.at}, past the end (${buf.length} bytes)`);
      out.push({ no, bytes: buf.subarray(pos.at, pos.at + len) });
      pos.at += len;
    } else if (wire === 5) {
      if (pos.at + 4 > buf.length) throw new OnnxFormatError(`${what}: the file ends inside a 32-bit field`);
      out.push({ no, fixed32: new DataView(buf.buffer, buf.byteOffset + pos.at, 4).getFloat32(0, true) });
      pos.at += 4;
    } else if (wire === 1) {
      if (pos.at + 8 > buf.length) throw new OnnxFormatError(`${what}: the file ends inside a 64-bit field`);
      pos.at += 8;
    } else throw new OnnxFormatError(`${what}: wire type ${wire} of field ${no} at byte ${pos.at} (not a protobuf message)`);
  }
  return out;
}

const text = (f: Field): string => (f.bytes ? utf8.decode(f.bytes) : '');

function valueInfo(bytes: Uint8Array): OnnxValueInfo {
  let name = '';
  let typeBytes: Uint8Array | undefined;
  for (const f of fields(bytes, 'a graph input or output')) {
    if (f.no === 1) name = text(f);
    else if (f.no === 2) typeBytes = f.bytes;
  }
  if (!typeBytes) return { name, kind: 'unknown' };
  for (const t of fields(typeBytes, `the type of ${name}`)) {
    if (t.no === 1 && t.bytes) {
      let elementType: string | undefined;
      let shape: (number | null)[] | undefined;
      for (const tf of fields(t.bytes, `the tensor type of ${name}`)) {
        if (tf.no === 1) elementType = ELEMENT_TYPES[tf.varint ?? 0] ?? `type ${tf.varint ?? 0}`;
        else if (tf.no === 2 && tf.bytes) {
          shape = [];
          for (const dim of fields(tf.bytes, `the shape of ${name}`)) {
            if (dim.no !== 1 || !dim.bytes) continue;
            const value = fields(dim.bytes, `a dimension of ${name}`).find((d) => d.no === 1);
            shape.push(value?.varint !== undefined ? value.varint : null);
          }
        }
      }
      return { name, kind: 'tensor', elementType, shape };
    }
    if (t.no === 4) return { name, kind: 'sequence' };
    if (t.no === 5) return { name, kind: 'map' };
  }
  return { name, kind: 'unknown' };
}

function attribute(bytes: Uint8Array): OnnxAttribute {
  let name = '';
  const ints: number[] = [];
  const strings: string[] = [];
  const floats: number[] = [];
  for (const f of fields(bytes, 'a node attribute')) {
    if (f.no === 1) name = text(f);
    else if (f.no === 3 && f.varint !== undefined) ints.push(f.varint);
    else if (f.no === 2 && f.fixed32 !== undefined) floats.push(f.fixed32);
    else if (f.no === 8) {
      if (f.varint !== undefined) ints.push(f.varint);
      else if (f.bytes) {
        // packed
        const pos = { at: 0 };
        while (pos.at < f.bytes.length) ints.push(readVarint(f.bytes, pos, `attribute ${name}`));
      }
    } else if (f.no === 9) strings.push(text(f));
    else if (f.no === 7) {
      if (f.fixed32 !== undefined) floats.push(f.fixed32);
      else if (f.bytes) for (let k = 0; k + 4 <= f.bytes.length; k += 4) floats.push(new DataView(f.bytes.buffer, f.bytes.byteOffset + k, 4).getFloat32(0, true));
    }
  }
  return { name, ints, strings, floats };
}

function node(bytes: Uint8Array): OnnxNode {
  const inputs: string[] = [];
  const outputs: string[] = [];
  const attributes: OnnxAttribute[] = [];
  let opType = '';
  let domain = '';
  for (const f of fields(bytes, 'a graph node')) {
    if (f.no === 1) inputs.push(text(f));
    else if (f.no === 2) outputs.push(text(f));
    else if (f.no === 4) opType = text(f);
    else if (f.no === 7) domain = text(f);
    else if (f.no === 5 && f.bytes) attributes.push(attribute(f.bytes));
  }
  return { opType, domain, inputs, outputs, attributes };
}

/** The graph of an `.onnx` file's bytes; OnnxFormatError when they are not an ONNX model. */
export function readOnnxGraph(bytes: Uint8Array): OnnxGraph {
  let irVersion = 0;
  const opsets: { domain: string; version: number }[] = [];
  const graphs: Uint8Array[] = [];
  for (const f of fields(bytes, 'the model')) {
    if (f.no === 1 && f.varint !== undefined) irVersion = f.varint;
    else if (f.no === 7 && f.bytes) graphs.push(f.bytes);
    else if (f.no === 8 && f.bytes) {
      let domain = '';
      let version = 0;
      for (const o of fields(f.bytes, 'an opset import')) {
        if (o.no === 1) domain = text(o);
        else if (o.no === 2 && o.varint !== undefined) version = o.varint;
      }
      opsets.push({ domain, version });
    }
  }
  if (irVersion === 0 || graphs.length === 0) throw new OnnxFormatError(`not an ONNX model: ${irVersion === 0 ? 'no ir_version' : 'no graph'}`);
  const nodes: OnnxNode[] = [];
  const inputs: OnnxValueInfo[] = [];
  const outputs: OnnxValueInfo[] = [];
  const initializers = new Set<string>();
  for (const g of graphs) {
    for (const f of fields(g, 'the graph')) {
      if (!f.bytes) continue;
      if (f.no === 1) nodes.push(node(f.bytes));
      else if (f.no === 11) inputs.push(valueInfo(f.bytes));
      else if (f.no === 12) outputs.push(valueInfo(f.bytes));
      else if (f.no === 5) {
        const name = fields(f.bytes, 'an initializer').find((t) => t.no === 8);
        if (name) initializers.add(text(name));
      }
    }
  }
  return { irVersion, opsets, nodes, inputs: inputs.filter((i) => !initializers.has(i.name)), outputs };
}

function varint(n: number): number[] {
  const out: number[] = [];
  let v = n;
  while (v >= 0x80) {
    out.push((v % 0x80) | 0x80);
    v = Math.floor(v / 0x80);
  }
  out.push(v);
  return out;
}

function lengthDelimited(no: number, payload: readonly number[]): number[] {
  return [...varint(no * 8 + 2), ...varint(payload.length), ...payload];
}

/**
 * The model's bytes with `name` (an intermediate float tensor) appended to its graph's outputs
 * (see the header: a second `graph` field merges into the first).
 */
export function withExtraOutput(bytes: Uint8Array, name: string): Uint8Array {
  const nameBytes = [...new TextEncoder().encode(name)];
  const tensorType = lengthDelimited(1, varint(8).concat(varint(1))); // TypeProto.tensor_type { elem_type: FLOAT }
  const info = [...lengthDelimited(1, nameBytes), ...lengthDelimited(2, tensorType)];
  const graph = lengthDelimited(7, lengthDelimited(12, info));
  const out = new Uint8Array(bytes.length + graph.length);
  out.set(bytes, 0);
  out.set(graph, bytes.length);
  return out;
}

/** The string or integer class labels a classifier node or ZipMap carries, in output order. */
export function classLabelsOf(n: OnnxNode): string[] | undefined {
  for (const a of n.attributes) {
    if (a.name === 'classlabels_strings' && a.strings.length) return [...a.strings];
    if ((a.name === 'classlabels_int64s' || a.name === 'classlabels_ints') && a.ints.length) return a.ints.map(String);
  }
  return undefined;
}
