#!/usr/bin/env python3
"""Sample inputs for `pare compare --data DIR` when a model is converted with fixed input values.

  make-inputs.py DIR SAMPLES SEED "NAME=D0,D1 ..." "NAME:V ..."

Writes DIR/<sample>/<NAME>.npy: float32 inputs uniform in [0, 1) with the shapes given (as
compare's own generated inputs), and each fixed input as an int64 tensor of its values (a scalar
when there is one value), so that ONNX Runtime takes the branch the package was converted for.
Standard library only (no numpy).
"""
import os
import random
import struct
import sys


def write_npy(path, descr, shape, values, fmt):
    shape_text = "(%d,)" % shape[0] if len(shape) == 1 else "(" + ", ".join(str(d) for d in shape) + ")"
    header = "{'descr': '%s', 'fortran_order': False, 'shape': %s, }" % (descr, shape_text)
    # magic + version + header length, header padded with spaces to a multiple of 64 and ended by \n
    pad = 64 - (10 + len(header) + 1) % 64
    header = header + " " * pad + "\n"
    with open(path, "wb") as f:
        f.write(b"\x93NUMPY\x01\x00" + struct.pack("<H", len(header)) + header.encode("latin1"))
        f.write(struct.pack("<%d%s" % (len(values), fmt), *values))


def main():
    out, samples, seed, shapes, values = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4], sys.argv[5]
    rng = random.Random(seed)
    for s in range(samples):
        d = os.path.join(out, f"{s:03d}")
        os.makedirs(d, exist_ok=True)
        for spec in shapes.split():
            name, dims = spec.split("=", 1)
            shape = [int(x) for x in dims.split(",")]
            n = 1
            for x in shape:
                n *= x
            write_npy(os.path.join(d, name + ".npy"), "<f4", shape, [rng.random() for _ in range(n)], "f")
        for spec in values.split():
            name, vals = spec.split(":", 1)
            v = [int(x) for x in vals.split(",")]
            write_npy(os.path.join(d, name + ".npy"), "<i8", [] if len(v) == 1 else [len(v)], v, "q")


if __name__ == "__main__":
    main()
