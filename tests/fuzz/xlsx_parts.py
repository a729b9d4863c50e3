#!/usr/bin/python3
"""Converts .xlsx workbooks into the parts form the fuzz target fuzz_xlsx reads (its header
comment): one "@@ NAME" line per part, then the part's text. `make fuzz` seeds the xlsx
corpus with it (scripts/fuzz.sh); by hand:

    tests/fuzz/xlsx_parts.py IN.xlsx... OUTDIR

Parts that are not XML (images, printer settings) and docProps are left out."""
import os
import sys
import zipfile


def convert(path):
    out = []
    with zipfile.ZipFile(path) as z:
        for info in z.infolist():
            name = info.filename
            if not (name.endswith(".xml") or name.endswith(".rels")) or name.startswith("docProps/"):
                continue
            out.append(b"@@ " + name.encode() + b"\n" + z.read(name) + b"\n")
    return b"".join(out)


def main():
    if len(sys.argv) < 3:
        sys.exit("usage: xlsx_parts.py IN.xlsx... OUTDIR")
    outdir = sys.argv[-1]
    os.makedirs(outdir, exist_ok=True)
    for path in sys.argv[1:-1]:
        name = os.path.splitext(os.path.basename(path))[0] + ".parts"
        with open(os.path.join(outdir, name), "wb") as f:
            f.write(convert(path))


if __name__ == "__main__":
    main()
