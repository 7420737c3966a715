#!/usr/bin/env python3
"""Writes the committed seed corpora (fuzz/corpus/<target>/) from the repository's
fixtures/. Run from fuzz/: python3 make_seeds.py. Deterministic; needs only Python 3."""

import json
import os
import shutil
import struct

FIX = "../fixtures"


def out(target, name, data):
    os.makedirs(f"corpus/{target}", exist_ok=True)
    with open(f"corpus/{target}/{name}", "wb") as f:
        f.write(data)


def msgpack(v):
    """The subset of MessagePack rmp-serde reads back into our types."""
    if v is None:
        return b"\xc0"
    if v is True:
        return b"\xc3"
    if v is False:
        return b"\xc2"
    if isinstance(v, int):
        if 0 <= v < 128:
            return bytes([v])
        if -32 <= v < 0:
            return struct.pack("b", v)
        if v >= 0:
            return b"\xcf" + struct.pack(">Q", v)
        return b"\xd3" + struct.pack(">q", v)
    if isinstance(v, float):
        return b"\xcb" + struct.pack(">d", v)
    if isinstance(v, str):
        b = v.encode()
        if len(b) < 32:
            return bytes([0xA0 | len(b)]) + b
        if len(b) < 256:
            return b"\xd9" + bytes([len(b)]) + b
        return b"\xda" + struct.pack(">H", len(b)) + b
    if isinstance(v, list):
        head = bytes([0x90 | len(v)]) if len(v) < 16 else b"\xdc" + struct.pack(">H", len(v))
        return head + b"".join(msgpack(x) for x in v)
    if isinstance(v, dict):
        head = bytes([0x80 | len(v)]) if len(v) < 16 else b"\xde" + struct.pack(">H", len(v))
        return head + b"".join(msgpack(k) + msgpack(x) for k, x in v.items())
    raise TypeError(v)


def fnv1a64(b):
    h = 0xCBF29CE484222325
    for c in b:
        h ^= c
        h = (h * 0x100000001B3) & 0xFFFFFFFFFFFFFFFF
    return h


def faiss_index():
    for name in ["flat_l2", "flat_l2_empty", "flat_ip", "idmap_flat", "idmap2_flat", "ivfflat",
                 "ivfflat_sparse", "ivfflat_directmap", "hnsw_flat", "sq8", "sqfp16", "ivfsq8"]:
        shutil.copy(f"{FIX}/faiss/{name}.faiss", f"corpus/faiss_index/{name}.faiss")


def docstore_file():
    """SavedDocstore payloads (and one framed file) holding the LangChain fixtures' docs."""
    fixtures = json.load(open(f"{FIX}/langchain_save_local/expected.json"))["fixtures"]

    def saved(folder, strategy, normalize, embedder, factory, n=None):
        f = fixtures[folder]
        m = f["index_to_docstore_id"]
        ids = [m[str(i)] for i in range(len(m))][:n]
        faiss = open(f"{FIX}/langchain_save_local/{folder}/index.faiss", "rb").read()
        return msgpack({
            "distance_strategy": strategy, "normalize_l2": normalize, "embedder": embedder,
            "index_factory": factory, "faiss_len": len(faiss), "faiss_checksum": fnv1a64(faiss),
            "index_to_docstore_id": ids, "documents": [f["docstore"][i] for i in ids],
        })

    out("docstore_file", "payload_index.msgpack",
        saved("index", "EUCLIDEAN_DISTANCE", False, "fake", "Flat"))
    out("docstore_file", "payload_index_ip.msgpack",
        saved("index_ip", "MAX_INNER_PRODUCT", True, "hashing-256", "IVF4,Flat"))
    two = saved("index", "COSINE", False, "fake", "Flat", 2)
    header = b"FFDOCST\0" + struct.pack("<IQQ", 1, len(two), fnv1a64(two))
    out("docstore_file", "framed_two_docs.docstore", header + two)


def pickle():
    out("pickle", "lc_index.pkl", open(f"{FIX}/langchain_save_local/index/index.pkl", "rb").read())
    out("pickle", "lc02_legacy.pkl",
        open(f"{FIX}/langchain_save_local/legacy_lc02/index.pkl", "rb").read())
    out("pickle", "fake_save_load.pkl",
        open(f"{FIX}/golden/cases/fake_save_load/saved/index.pkl", "rb").read())


def filter_():
    """[filter, metadata, ...] from the golden filter cases."""
    ops = json.load(open(f"{FIX}/golden/cases/unit_filter_eval.json"))["ops"]
    for i in [0, 1, 8, 9, 10, 14, 15, 21, 22, 23]:
        out("filter", f"eval_{i:02d}.json",
            json.dumps([ops[i]["filter"]] + ops[i]["metadatas"]).encode())


def text_split():
    """mode | chunk size | overlap | flags | separator length | separator | text."""
    para = open(f"{FIX}/state_of_the_union.txt", encoding="utf-8").read()[:700]

    def seed(name, mode, size, overlap, flags, sep, text):
        s = sep.encode()
        out("text_split", name, bytes([mode, size, overlap, flags, len(s)]) + s + text.encode())

    seed("character_paragraphs", 0, 40, 5, 16, "\n\n", para)
    seed("character_regex_keep", 0, 30, 0, 1 | 2 | 8 | 16, "\\s+", para[:300])
    seed("recursive_default", 1, 25, 4, 2 | 16 | 8, "", para)
    seed("recursive_custom", 2, 20, 3, 16, "\n\0. \0 ", para[:400])
    seed("language_python", 3, 30, 8, 16, "",
         "def f(x):\n    return x\n\nclass A:\n    def g(self):\n        pass\n")
    seed("language_markdown", 3, 20, 13, 16, "",
         "# Title\n\nSome *text* here.\n\n## Sub\n\n- item\n- item two\n```\ncode\n```\n")
    seed("utf8_bytes_end", 1, 10, 2, 4 | 32, "", "héllo wörld ünïcödé 日本語のテキスト")


def texmex():
    data = json.load(open(f"{FIX}/faiss/data.json"))

    def vecs(rows, fmt):
        return b"".join(struct.pack("<i", len(r)) + b"".join(struct.pack(fmt, x) for x in r)
                        for r in rows)

    out("texmex", "xb.fvecs", vecs(data["xb"], "<f"))
    out("texmex", "xq.fvecs", vecs(data["xq"], "<f"))
    ids = data["ids"]
    out("texmex", "ids.ivecs", vecs([[i % 1000 for i in ids[:4]], [-(i % 1000) for i in ids[4:]]], "<i"))


if __name__ == "__main__":
    for make in [faiss_index, docstore_file, pickle, filter_, text_split, texmex]:
        make()
