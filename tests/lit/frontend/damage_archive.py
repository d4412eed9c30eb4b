#!/usr/bin/env python3
"""damage_archive.py SRC OUT MODE: copies the TorchScript archive SRC to OUT
damaged the way hostile or foreign files are. MODE: empty, short or missing
(the first weight record, data/0, gets 0 bytes, half its bytes, or is
removed); unknown-op (the code calls torch.linear as torch.no_such_op, as an
archive from a newer PyTorch calls operators LibTorch 1.13 lacks);
cut-pickle (data.pkl cut in half)."""
import sys
import zipfile

src, out, mode = sys.argv[1:4]
with zipfile.ZipFile(src) as z, zipfile.ZipFile(out, "w", zipfile.ZIP_STORED) as w:
    for info in z.infolist():
        data = z.read(info.filename)
        if mode in ("empty", "short", "missing") and info.filename.endswith("/data/0"):
            if mode == "missing":
                continue
            data = b"" if mode == "empty" else data[: len(data) // 2]
        if mode == "unknown-op" and info.filename.endswith(".py"):
            data = data.replace(b"torch.linear(", b"torch.no_such_op(")
        if mode == "cut-pickle" and info.filename.endswith("/data.pkl"):
            data = data[: len(data) // 2]
        w.writestr(info.filename, data)
