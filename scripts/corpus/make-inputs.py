#!/usr/bin/env python3
"""Sample inputs for `pare compare --data DIR` on a corpus model (scripts/corpus-coverage.sh).

  make-inputs.py DIR SAMPLES SEED "NAME=D0,D1 ..." "NAME:V ..." [KIND]

Writes DIR/<sample>/<NAME>.npy for every input of the shapes given and every fixed value. KIND
(the `inputs` column of models.tsv) says what the float inputs hold:

  noise        uniform in [0, 1), as compare's own generated inputs (the default)
  text-image   a [N,3,H,W] image of text: rows of dark 5x7 dot-matrix glyphs on a light, slightly
               uneven background, normalized as PP-OCR does ((v/255 - mean) / std, ImageNet mean
               and std), so that a text detector finds text and its sigmoid map is not ~0
  lines-image  a [N,H,W,C] (C = 3, or 4: RGB and a channel of ones, as M-LSD takes) or [N,C,H,W]
               image of straight dark and light line segments on a smooth background, in [-1, 1]:
               a line detector's peaks are clear maxima, not ties of noise

Each fixed input ("NAME:V,...") is an int64 tensor of its values (a scalar when there is one value),
so that ONNX Runtime takes the branch the package was converted for. Deterministic for a seed.
Standard library only (no numpy).
"""
import math
import os
import random
import struct
import sys

# 5x7 dot-matrix glyphs: 7 rows of 5 bits, most significant bit on the left
GLYPHS = {
    "0": [0x0E, 0x11, 0x13, 0x15, 0x19, 0x11, 0x0E], "1": [0x04, 0x0C, 0x04, 0x04, 0x04, 0x04, 0x0E],
    "2": [0x0E, 0x11, 0x01, 0x02, 0x04, 0x08, 0x1F], "3": [0x1F, 0x02, 0x04, 0x02, 0x01, 0x11, 0x0E],
    "4": [0x02, 0x06, 0x0A, 0x12, 0x1F, 0x02, 0x02], "5": [0x1F, 0x10, 0x1E, 0x01, 0x01, 0x11, 0x0E],
    "6": [0x06, 0x08, 0x10, 0x1E, 0x11, 0x11, 0x0E], "7": [0x1F, 0x01, 0x02, 0x04, 0x08, 0x08, 0x08],
    "8": [0x0E, 0x11, 0x11, 0x0E, 0x11, 0x11, 0x0E], "9": [0x0E, 0x11, 0x11, 0x0F, 0x01, 0x02, 0x0C],
    "A": [0x0E, 0x11, 0x11, 0x1F, 0x11, 0x11, 0x11], "C": [0x0E, 0x11, 0x10, 0x10, 0x10, 0x11, 0x0E],
    "E": [0x1F, 0x10, 0x10, 0x1E, 0x10, 0x10, 0x1F], "H": [0x11, 0x11, 0x11, 0x1F, 0x11, 0x11, 0x11],
    "K": [0x11, 0x12, 0x14, 0x18, 0x14, 0x12, 0x11], "L": [0x10, 0x10, 0x10, 0x10, 0x10, 0x10, 0x1F],
    "M": [0x11, 0x1B, 0x15, 0x15, 0x11, 0x11, 0x11], "N": [0x11, 0x11, 0x19, 0x15, 0x13, 0x11, 0x11],
    "P": [0x1E, 0x11, 0x11, 0x1E, 0x10, 0x10, 0x10], "R": [0x1E, 0x11, 0x11, 0x1E, 0x14, 0x12, 0x11],
    "S": [0x0F, 0x10, 0x10, 0x0E, 0x01, 0x01, 0x1E], "T": [0x1F, 0x04, 0x04, 0x04, 0x04, 0x04, 0x04],
    "U": [0x11, 0x11, 0x11, 0x11, 0x11, 0x11, 0x0E], "X": [0x11, 0x11, 0x0A, 0x04, 0x0A, 0x11, 0x11],
}
IMAGENET_MEAN = (0.485, 0.456, 0.406)
IMAGENET_STD = (0.229, 0.224, 0.225)


def write_npy(path, descr, shape, values, fmt):
    shape_text = "(%d,)" % shape[0] if len(shape) == 1 else "(" + ", ".join(str(d) for d in shape) + ")"
    header = "{'descr': '%s', 'fortran_order': False, 'shape': %s, }" % (descr, shape_text)
    # magic + version + header length, header padded with spaces to a multiple of 64 and ended by \n
    pad = 64 - (10 + len(header) + 1) % 64
    header = header + " " * pad + "\n"
    with open(path, "wb") as f:
        f.write(b"\x93NUMPY\x01\x00" + struct.pack("<H", len(header)) + header.encode("latin1"))
        f.write(struct.pack("<%d%s" % (len(values), fmt), *values))


def text_page(rng, h, w):
    """Gray levels 0..255 of an h x w page of dot-matrix text, row-major."""
    base = rng.uniform(200, 240)
    tilt_x, tilt_y = rng.uniform(-15, 15), rng.uniform(-15, 15)
    page = [min(255.0, base + tilt_x * x / w + tilt_y * y / h + rng.uniform(-4, 4)) for y in range(h) for x in range(w)]
    dot = max(1, min(h, w) // 48)            # pixels per glyph dot: 2 on a 96x128 page
    gw, gh = 6 * dot, 9 * dot                 # glyph cell with spacing
    chars = sorted(GLYPHS)
    y = rng.randint(dot, 2 * dot)
    while y + 7 * dot <= h - dot:
        x = rng.randint(dot, 3 * gw)
        end = rng.randint(w // 2, w - dot)
        ink = rng.uniform(10, 70)
        while x + 5 * dot <= end:
            if rng.random() < 0.15:           # a space between words
                x += gw
                continue
            rows = GLYPHS[rng.choice(chars)]
            for r in range(7):
                for c in range(5):
                    if rows[r] >> (4 - c) & 1:
                        for dy in range(dot):
                            for dx in range(dot):
                                page[(y + r * dot + dy) * w + x + c * dot + dx] = ink + rng.uniform(-5, 5)
            x += gw
        y += gh + rng.randint(0, 3 * dot)
    return page


def text_image(rng, shape):
    n, c, h, w = shape
    if c != 3:
        raise SystemExit("make-inputs: text-image needs a [N,3,H,W] input, got %s" % (shape,))
    out = []
    for _ in range(n):
        page = text_page(rng, h, w)
        for ch in range(3):
            out.extend((v / 255.0 - IMAGENET_MEAN[ch]) / IMAGENET_STD[ch] for v in page)
    return out


def lines_rgb(rng, h, w):
    """An h x w RGB image (floats in [0, 1], row-major, 3 per pixel) of line segments."""
    c0 = [rng.uniform(0.3, 0.7) for _ in range(3)]
    gx = [rng.uniform(-0.1, 0.1) for _ in range(3)]
    gy = [rng.uniform(-0.1, 0.1) for _ in range(3)]
    img = [[c0[k] + gx[k] * x / w + gy[k] * y / h for k in range(3)] for y in range(h) for x in range(w)]
    for _ in range(rng.randint(6, 10)):
        x0, y0 = rng.uniform(0, w - 1), rng.uniform(0, h - 1)
        angle, length = rng.uniform(0, math.pi), rng.uniform(0.25, 0.7) * min(h, w)
        x1 = min(w - 1.0, max(0.0, x0 + length * math.cos(angle)))
        y1 = min(h - 1.0, max(0.0, y0 + length * math.sin(angle)))
        color = [rng.choice((0.05, 0.95)) + rng.uniform(-0.05, 0.05) for _ in range(3)]
        half = rng.uniform(1.0, 2.5)
        steps = int(max(abs(x1 - x0), abs(y1 - y0))) + 1
        for s in range(steps + 1):
            cx, cy = x0 + (x1 - x0) * s / steps, y0 + (y1 - y0) * s / steps
            for yy in range(int(cy - half), int(cy + half) + 1):
                for xx in range(int(cx - half), int(cx + half) + 1):
                    if 0 <= yy < h and 0 <= xx < w and (xx - cx) ** 2 + (yy - cy) ** 2 <= half * half:
                        img[yy * w + xx] = color
    return img


def lines_image(rng, shape):
    if len(shape) != 4:
        raise SystemExit("make-inputs: lines-image needs a rank-4 image input, got %s" % (shape,))
    channels_last = shape[3] in (3, 4)
    n, h, w, c = (shape[0], shape[1], shape[2], shape[3]) if channels_last else (shape[0], shape[2], shape[3], shape[1])
    if c not in (3, 4):
        raise SystemExit("make-inputs: lines-image needs 3 or 4 channels, got %s" % (shape,))
    out = []
    for _ in range(n):
        img = lines_rgb(rng, h, w)
        # RGB to [-1, 1]; a 4th channel is ones
        px = [[2 * p[0] - 1, 2 * p[1] - 1, 2 * p[2] - 1, 1.0][:c] for p in img]
        if channels_last:
            for p in px:
                out.extend(p)
        else:
            for k in range(c):
                out.extend(p[k] for p in px)
    return out


KINDS = {
    "noise": lambda rng, shape: [rng.random() for _ in range(math.prod(shape))],
    "text-image": text_image,
    "lines-image": lines_image,
}


def main():
    if len(sys.argv) not in (6, 7):
        raise SystemExit(__doc__)
    out, samples, seed, shapes, values = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4], sys.argv[5]
    kind = sys.argv[6] if len(sys.argv) == 7 else "noise"
    if kind not in KINDS:
        raise SystemExit("make-inputs: unknown input kind '%s' (%s)" % (kind, ", ".join(KINDS)))
    rng = random.Random(seed)
    for s in range(samples):
        d = os.path.join(out, f"{s:03d}")
        os.makedirs(d, exist_ok=True)
        for spec in shapes.split():
            name, dims = spec.split("=", 1)
            shape = [int(x) for x in dims.split(",")]
            write_npy(os.path.join(d, name + ".npy"), "<f4", shape, KINDS[kind](rng, shape), "f")
        for spec in values.split():
            name, vals = spec.split(":", 1)
            v = [int(x) for x in vals.split(",")]
            write_npy(os.path.join(d, name + ".npy"), "<i8", [] if len(v) == 1 else [len(v)], v, "q")


if __name__ == "__main__":
    main()
