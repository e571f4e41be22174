#!/usr/bin/env python3
"""Rebuilds an ONNX model file from an ONNX Runtime "ORT format" model (scripts/fetch-corpus.sh).

  ort-to-onnx.py MODEL.ort OUT.onnx

Some packages ship their models only in ONNX Runtime's flatbuffer format (`.ort`, file identifier
"ORTM"), which carries the same graph as the ONNX file it was saved from: opsets, initializers,
nodes with their attributes and subgraphs, and the value infos of the graph's inputs and outputs.
This reads that flatbuffer (the tables of ONNX Runtime's published schema `ort.fbs`: InferenceSession
-> Model -> Graph -> Node / Tensor / Attribute / ValueInfo) and writes the equivalent ONNX protobuf,
so that Pare (and ONNX Runtime) can load it as an ordinary `.onnx` file. What only ONNX Runtime uses
(kernel type resolvers, runtime optimization records, node edges) is dropped. Refused, with a one-line
error: a file that is not ORT format, sparse initializers, tensors stored outside the file, fused
(`Fused`-type) nodes. Deterministic: the same input gives the same bytes.
Standard library only.
"""
import struct
import sys


class OrtFormatError(Exception):
    pass


# ---------------------------------------------------------------- flatbuffer reading

class Table:
    """One flatbuffer table: fields are looked up by their index in the schema's declaration order."""

    def __init__(self, buf, pos):
        self.buf = buf
        self.pos = pos
        vtable = pos - struct.unpack_from("<i", buf, pos)[0]
        self.vtable = vtable
        self.vtable_size = struct.unpack_from("<H", buf, vtable)[0]

    def _field(self, index):
        slot = 4 + 2 * index
        if slot >= self.vtable_size:
            return 0
        return struct.unpack_from("<H", self.buf, self.vtable + slot)[0]

    def has(self, index):
        return self._field(index) != 0

    def scalar(self, index, fmt, default=0):
        off = self._field(index)
        return struct.unpack_from("<" + fmt, self.buf, self.pos + off)[0] if off else default

    def _target(self, index):
        off = self._field(index)
        if not off:
            return None
        at = self.pos + off
        return at + struct.unpack_from("<I", self.buf, at)[0]

    def string(self, index):
        at = self._target(index)
        return None if at is None else _string_at(self.buf, at)

    def table(self, index):
        at = self._target(index)
        return None if at is None else Table(self.buf, at)

    def _vector(self, index):
        at = self._target(index)
        if at is None:
            return 0, 0
        return at + 4, struct.unpack_from("<I", self.buf, at)[0]

    def tables(self, index):
        start, n = self._vector(index)
        out = []
        for k in range(n):
            at = start + 4 * k
            out.append(Table(self.buf, at + struct.unpack_from("<I", self.buf, at)[0]))
        return out

    def strings(self, index):
        start, n = self._vector(index)
        out = []
        for k in range(n):
            at = start + 4 * k
            out.append(_string_at(self.buf, at + struct.unpack_from("<I", self.buf, at)[0]))
        return out

    def scalars(self, index, fmt):
        start, n = self._vector(index)
        return list(struct.unpack_from("<%d%s" % (n, fmt), self.buf, start)) if n else []

    def raw_bytes(self, index):
        start, n = self._vector(index)
        return bytes(self.buf[start:start + n])


def _string_at(buf, at):
    n = struct.unpack_from("<I", buf, at)[0]
    return bytes(buf[at + 4:at + 4 + n]).decode("utf-8")


# ---------------------------------------------------------------- protobuf writing

def _varint(v):
    if v < 0:
        v += 1 << 64
    out = bytearray()
    while True:
        b = v & 0x7F
        v >>= 7
        if v:
            out.append(b | 0x80)
        else:
            out.append(b)
            return bytes(out)


def f_varint(field, v):
    return _varint(field << 3) + _varint(v)


def f_bytes(field, data):
    return _varint((field << 3) | 2) + _varint(len(data)) + data


def f_str(field, s):
    return f_bytes(field, s.encode("utf-8"))


def f_float(field, v):
    return _varint((field << 3) | 5) + struct.pack("<f", v)


# ---------------------------------------------------------------- ORT tables -> ONNX messages
# Field indices below are the declaration order of each table in ort.fbs.

def tensor_proto(t, where):
    if t.scalar(6, "q", -1) != -1:
        raise OrtFormatError("%s: tensor '%s' is stored outside the file" % (where, t.string(0)))
    out = bytearray()
    for d in t.scalars(2, "q"):
        out += f_varint(1, d)
    out += f_varint(2, t.scalar(3, "i"))
    for s in t.strings(5):
        out += f_str(6, s)
    if t.string(0) is not None:
        out += f_str(8, t.string(0))
    if t.has(4):
        out += f_bytes(9, t.raw_bytes(4))
    if t.string(1):
        out += f_str(12, t.string(1))
    return bytes(out)


def attribute_proto(a, where):
    name = a.string(0)
    kind = a.scalar(2, "i")
    out = bytearray(f_str(1, name))
    here = "%s attribute '%s'" % (where, name)
    if kind == 1:
        out += f_float(2, a.scalar(3, "f"))
    elif kind == 2:
        out += f_varint(3, a.scalar(4, "q"))
    elif kind == 3:
        out += f_str(4, a.string(5) or "")
    elif kind == 4:
        out += f_bytes(5, tensor_proto(a.table(6), here))
    elif kind == 5:
        out += f_bytes(6, graph_proto(a.table(7), here))
    elif kind == 6:
        for v in a.scalars(8, "f"):
            out += f_float(7, v)
    elif kind == 7:
        for v in a.scalars(9, "q"):
            out += f_varint(8, v)
    elif kind == 8:
        for s in a.strings(10):
            out += f_str(9, s)
    elif kind == 9:
        for t in a.tables(11):
            out += f_bytes(10, tensor_proto(t, here))
    elif kind == 10:
        for g in a.tables(12):
            out += f_bytes(11, graph_proto(g, here))
    else:
        raise OrtFormatError("%s: attribute type %d is not supported" % (here, kind))
    if a.string(1):
        out += f_str(13, a.string(1))
    out += f_varint(20, kind)
    return bytes(out)


def node_proto(n, where):
    name = n.string(0) or ""
    if n.scalar(6, "i") != 0:
        raise OrtFormatError("%s: node '%s' is a fused node (ONNX Runtime only)" % (where, name))
    out = bytearray()
    for s in n.strings(8):
        out += f_str(1, s)
    for s in n.strings(9):
        out += f_str(2, s)
    out += f_str(3, name)
    out += f_str(4, n.string(5))
    for a in n.tables(10):
        out += f_bytes(5, attribute_proto(a, "%s node '%s'" % (where, name)))
    if n.string(1):
        out += f_str(6, n.string(1))
    if n.string(2):
        out += f_str(7, n.string(2))
    return bytes(out)


def type_proto(ti, where):
    """TypeInfo -> TypeProto; None when the value has no tensor type recorded."""
    if ti is None:
        return None
    if ti.scalar(1, "B") != 1:  # union TypeInfoValue: 1 = tensor_type
        raise OrtFormatError("%s: only tensor-typed graph inputs and outputs are supported" % where)
    tts = ti.table(2)
    tensor = bytearray(f_varint(1, tts.scalar(0, "i")))
    shape = tts.table(1)
    if shape is not None:
        dims = bytearray()
        for d in shape.tables(0):
            value = d.table(0)
            dim = bytearray()
            if value is not None and value.scalar(0, "b") == 1:
                dim += f_varint(1, value.scalar(1, "q"))
            elif value is not None and value.scalar(0, "b") == 2:
                dim += f_str(2, value.string(2) or "")
            if d.string(1):
                dim += f_str(3, d.string(1))
            dims += f_bytes(1, bytes(dim))
        tensor += f_bytes(2, bytes(dims))
    out = f_bytes(1, bytes(tensor))
    if ti.string(0):
        out += f_str(6, ti.string(0))
    return out


def value_info_proto(name, infos, where):
    out = bytearray(f_str(1, name))
    vi = infos.get(name)
    if vi is not None:
        tp = type_proto(vi.table(2), "%s value '%s'" % (where, name))
        if tp is not None:
            out += f_bytes(2, tp)
        if vi.string(1):
            out += f_str(3, vi.string(1))
    return bytes(out)


def graph_proto(g, where):
    if g.tables(7):
        raise OrtFormatError("%s: sparse initializers are not supported" % where)
    infos = {vi.string(0): vi for vi in g.tables(1)}
    initializers = g.tables(0)
    initializer_names = {t.string(0) for t in initializers}
    out = bytearray()
    for n in g.tables(2):
        out += f_bytes(1, node_proto(n, where))
    out += f_str(2, "main_graph" if where == "graph" else where)
    for t in initializers:
        out += f_bytes(5, tensor_proto(t, where))
    for name in g.strings(5):
        if name not in initializer_names:  # IR >= 4: initializers need not be inputs
            out += f_bytes(11, value_info_proto(name, infos, where))
    for name in g.strings(6):
        out += f_bytes(12, value_info_proto(name, infos, where))
    return bytes(out)


def model_proto(buf):
    if len(buf) < 8 or bytes(buf[4:8]) != b"ORTM":
        raise OrtFormatError("not an ORT format model (no 'ORTM' file identifier)")
    session = Table(buf, struct.unpack_from("<I", buf, 0)[0])
    m = session.table(1)
    if m is None:
        raise OrtFormatError("the ORT file has no model")
    out = bytearray(f_varint(1, m.scalar(0, "q")))
    if m.string(2):
        out += f_str(2, m.string(2))
    if m.string(3):
        out += f_str(3, m.string(3))
    if m.string(4):
        out += f_str(4, m.string(4))
    if m.has(5) and m.scalar(5, "q") != (1 << 63) - 1:  # ONNX Runtime's "no version"
        out += f_varint(5, m.scalar(5, "q"))
    if m.string(6):
        out += f_str(6, m.string(6))
    out += f_bytes(7, graph_proto(m.table(7), "graph"))
    for opset in m.tables(1):
        out += f_bytes(8, f_str(1, opset.string(0) or "") + f_varint(2, opset.scalar(1, "q")))
    for entry in m.tables(9):
        out += f_bytes(14, f_str(1, entry.string(0) or "") + f_str(2, entry.string(1) or ""))
    return bytes(out)


def main(argv):
    if len(argv) != 3:
        print("usage: ort-to-onnx.py MODEL.ort OUT.onnx", file=sys.stderr)
        return 2
    src, dst = argv[1], argv[2]
    with open(src, "rb") as f:
        buf = f.read()
    try:
        data = model_proto(buf)
    except (OrtFormatError, struct.error, UnicodeDecodeError) as e:
        print("ort-to-onnx: %s: %s" % (src, e), file=sys.stderr)
        return 1
    tmp = dst + ".part"
    with open(tmp, "wb") as f:
        f.write(data)
    import os
    os.replace(tmp, dst)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
