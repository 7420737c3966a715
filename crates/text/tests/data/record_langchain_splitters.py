"""Records extra splitter cases from the real langchain_text_splitters (1.1.3).

Not run by the test suite. Regenerate with
    pip install langchain-text-splitters==1.1.3
    python record_langchain_splitters.py > langchain_splitters.json
from this folder. Texts come from the repository's fixtures.
"""
import hashlib
import importlib.metadata
import json
import logging
import sys

from langchain_text_splitters import CharacterTextSplitter, RecursiveCharacterTextSplitter

ROOT = "../../../../fixtures/"
SOTU = open(ROOT + "state_of_the_union.txt", encoding="utf-8").read()
SHORT = json.load(open(ROOT + "golden/cases/split_character.json"))["ops"][0]["text"]
MIXED = (
    "Title\n\nFirst line\nsecond line\r\nthird\n\n\n\n"
    "\x1cseparated\x1f  words\u3000here\u00a0and there.\u2028Next.\n\n"
    "supercalifragilisticexpialidocious-antidisestablishmentarianism "
    "a b c d e f g h i j k l m n o p q r s t u v w x y z\n"
    "\u00dcn\u00efc\u00f6d\u00e9 \u2014 \U0001F600 emoji \U0001F600\U0001F600 end"
)
TEXTS = {"sotu": SOTU, "short": SHORT, "mixed": MIXED}


class Capture(logging.Handler):
    def __init__(self):
        super().__init__(logging.WARNING)
        self.records = []

    def emit(self, record):
        self.records.append(
            {"logger": record.name, "level": record.levelname, "message": record.getMessage()}
        )


capture = Capture()
logging.getLogger("langchain_text_splitters").addHandler(capture)
logging.getLogger("langchain_text_splitters").propagate = False

CLASSES = {"character": CharacterTextSplitter, "recursive": RecursiveCharacterTextSplitter}


def chunk_summary(chunks, full):
    out = {
        "num_chunks": len(chunks),
        "chunk_lengths": [len(c) for c in chunks],
        "chunk_sha256": [hashlib.sha256(c.encode("utf-8")).hexdigest() for c in chunks],
    }
    if full:
        out["chunks"] = chunks
    return out


def split_case(cls, kwargs, text_name):
    capture.records.clear()
    splitter = CLASSES[cls](**kwargs)
    chunks = splitter.split_text(TEXTS[text_name])
    expect = chunk_summary(chunks, full=text_name != "sotu")
    expect["logs"] = list(capture.records)
    return {"op": "split_text", "class": cls, "splitter": kwargs, "text": text_name, "expect": expect}


def documents_case(cls, kwargs, text_names):
    capture.records.clear()
    splitter = CLASSES[cls](**kwargs)
    metadatas = [{"source": name, "n": i} for i, name in enumerate(text_names)]
    docs = splitter.create_documents([TEXTS[n] for n in text_names], metadatas=metadatas)
    return {
        "op": "create_documents",
        "class": cls,
        "splitter": kwargs,
        "texts": text_names,
        "metadatas": metadatas,
        "expect": {
            "docs": [
                {
                    "page_content_sha256": hashlib.sha256(d.page_content.encode()).hexdigest(),
                    "length": len(d.page_content),
                    "metadata": d.metadata,
                }
                for d in docs
            ],
            "logs": list(capture.records),
        },
    }


ops = []
for text in ["sotu", "short", "mixed"]:
    for size, overlap in [(1000, 0), (1000, 200), (300, 50), (100, 20), (40, 0), (10, 3)]:
        if text == "sotu" and size < 100:
            continue
        ops.append(split_case("recursive", {"chunk_size": size, "chunk_overlap": overlap}, text))
for keep in [False, "start", "end"]:
    for strip in [True, False]:
        for text in ["short", "mixed"]:
            ops.append(
                split_case(
                    "recursive",
                    {"chunk_size": 60, "chunk_overlap": 15, "keep_separator": keep, "strip_whitespace": strip},
                    text,
                )
            )
ops.append(split_case("recursive", {"chunk_size": 50, "chunk_overlap": 10, "separators": [". ", " "]}, "short"))
ops.append(split_case("recursive", {"chunk_size": 50, "chunk_overlap": 10, "separators": ["zzz"]}, "short"))
ops.append(
    split_case(
        "recursive",
        {"chunk_size": 70, "chunk_overlap": 0, "separators": ["\\n{2,}", "(?<=\\.) ", "\\s+", ""], "is_separator_regex": True},
        "short",
    )
)
ops.append(
    split_case(
        "recursive",
        {"chunk_size": 70, "chunk_overlap": 0, "separators": ["\\n+", "\\s"], "is_separator_regex": True, "keep_separator": False},
        "mixed",
    )
)
ops.append(split_case("character", {"chunk_size": 30, "chunk_overlap": 5, "separator": "\\s*", "is_separator_regex": True}, "mixed"))
ops.append(split_case("character", {"chunk_size": 30, "chunk_overlap": 5, "separator": "(?=[A-Z])", "is_separator_regex": True}, "short"))
ops.append(split_case("character", {"chunk_size": 40, "chunk_overlap": 0, "separator": "\n"}, "mixed"))
ops.append(split_case("character", {"chunk_size": 40, "chunk_overlap": 10, "separator": " ", "keep_separator": "end", "strip_whitespace": False}, "mixed"))
ops.append(documents_case("recursive", {"chunk_size": 200, "chunk_overlap": 50, "add_start_index": True}, ["short", "mixed", "sotu"]))
ops.append(documents_case("character", {"chunk_size": 200, "chunk_overlap": 50, "separator": " ", "add_start_index": True}, ["short", "mixed"]))
ops.append(
    documents_case(
        "character",
        {"chunk_size": 80, "chunk_overlap": 0, "separator": "\\n+", "is_separator_regex": True, "add_start_index": True},
        ["short"],
    )
)

json.dump(
    {
        "description": "Extra splitter cases recorded from langchain_text_splitters "
        + importlib.metadata.version("langchain-text-splitters"),
        "python": sys.version.split()[0],
        "texts_mixed": MIXED,
        "ops": ops,
    },
    sys.stdout,
    indent=1,
    ensure_ascii=False,
)
