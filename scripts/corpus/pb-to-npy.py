#!/usr/bin/env python3
"""Writes ONNX TensorProto files (an ONNX test's input_N.pb) as DIR/NAME.npy, NAME being the
tensor's name, for `pare compare --data`. Needs numpy only (the protobuf wire format is read here).

    scripts/corpus/pb-to-npy.py OUT_DIR input_0.pb [input_1.pb ...]
"""
import struct
import sys

import numpy as np

DTYPES = {1: np.float32, 2: np.uint8, 3: np.int8, 6: np.int32, 7: np.int64, 9: np.bool_, 10: np.float16, 11: np.float64}


def varint(b, i):
    value = shift = 0
    while True:
        c = b[i]
        i += 1
        value |= (c & 0x7F) << shift
        shift += 7
        if c < 0x80:
            return value, i


def signed(v):
    return v - (1 << 64) if v >= 1 << 63 else v


def packed_varints(d):
    out, j = [], 0
    while j < len(d):
        v, j = varint(d, j)
        out.append(v)
    return out


def read_tensor(path):
    b = open(path, "rb").read()
    dims, dtype, raw, floats, ints, name = [], 0, None, [], [], ""
    i = 0
    while i < len(b):
        key, i = varint(b, i)
        field, wire = key >> 3, key & 7
        if wire == 0:
            v, i = varint(b, i)
            if field == 1:
                dims.append(v)
            elif field == 2:
                dtype = v
            elif field in (5, 7):
                ints.append(signed(v))
        elif wire == 2:
            n, i = varint(b, i)
            d, i = b[i:i + n], i + n
            if field == 1:
                dims += packed_varints(d)
            elif field == 4:
                floats += struct.unpack("<%df" % (n // 4), d)
            elif field in (5, 7):
                ints += [signed(v) for v in packed_varints(d)]
            elif field == 8:
                name = d.decode()
            elif field == 9:
                raw = d
        elif wire == 5:
            i += 4
        elif wire == 1:
            i += 8
        else:
            sys.exit(f"pb-to-npy: {path}: wire type {wire} is not a TensorProto field")
    if dtype not in DTYPES:
        sys.exit(f"pb-to-npy: {path}: tensor '{name}' has ONNX data type {dtype}, which this script does not read")
    if raw is not None:
        a = np.frombuffer(raw, dtype=DTYPES[dtype])
    elif dtype == 1:
        a = np.array(floats, np.float32)
    else:
        a = np.array(ints, DTYPES[dtype])
    return name, a.reshape(dims)


if __name__ == "__main__":
    if len(sys.argv) < 3:
        sys.exit(__doc__)
    for p in sys.argv[2:]:
        name, a = read_tensor(p)
        np.save(f"{sys.argv[1]}/{name}.npy", a)
        print(f"{p}: {name} {a.dtype} {list(a.shape)}")
