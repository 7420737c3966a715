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
import random
import sys

from langchain_text_splitters import CharacterTextSplitter, Language, RecursiveCharacterTextSplitter

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
CODE = {
    "python": "import os\n\nclass Greeter:\n    def __init__(self, name):\n        self.name = name\n\n"
    "    def greet(self):\n        if self.name:\n            return f'Hello {self.name}'\n        return 'Hello'\n\n"
    "def main():\n    for n in ['a', 'b']:\n        print(Greeter(n).greet())\n\nif __name__ == '__main__':\n    main()\n",
    "rust": "use std::io;\n\nconst N: usize = 3;\n\nfn add(a: i32, b: i32) -> i32 {\n    a + b\n}\n\n"
    "fn main() {\n    let x = add(1, 2);\n    if x > 2 {\n        println!(\"big {x}\");\n    }\n"
    "    for i in 0..N {\n        match i { 0 => {}, _ => println!(\"{i}\") }\n    }\n}\n",
    "markdown": "# Title\n\nIntro paragraph with some words.\n\n## Section one\n\nText under section one.\n\n"
    "```\ncode block\n```\n\n***\n\n### Sub\n\nMore text here and there.\n",
    "html": "<html><body><div><h1>Title</h1><p>First paragraph of text.</p><ul><li>one</li><li>two</li></ul>"
    "<table><tr><td>cell</td></tr></table><p>Second paragraph.</p></div></body></html>",
    "latex": "\\documentclass{article}\n\\begin{document}\n\\section{Intro}\nSome text.\n"
    "\\subsection{More}\n\\begin{itemize}\n\\item one\n\\item two\n\\end{itemize}\n\\end{document}\n",
    "rst": "Title\n=====\n\nIntro text.\n\nSection\n-------\n\n.. note:: a note\n\nMore text\n\n***\n",
    "visualbasic6": "Option Explicit\n\nPublic Sub Hello()\n    MsgBox \"Hi\"\nEnd Sub\n\n"
    "Private Function Add(a As Integer, b As Integer) As Integer\n    Add = a + b\nEnd Function\n",
    "js": "const a = 1;\n\nfunction f(x) {\n  if (x) {\n    return x;\n  }\n}\n\nlet b = f(a);\n"
    "class K {\n  m() { return b; }\n}\n",
}
TEXTS = {"sotu": SOTU, "short": SHORT, "mixed": MIXED, **{"code_" + k: v for k, v in CODE.items()}}


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
for lang in CODE:
    for size in (40, 80):
        capture.records.clear()
        splitter = RecursiveCharacterTextSplitter.from_language(Language(lang), chunk_size=size, chunk_overlap=10)
        chunks = splitter.split_text(CODE[lang])
        expect = chunk_summary(chunks, full=True)
        expect["logs"] = list(capture.records)
        ops.append({"op": "split_text", "class": "recursive", "language": lang,
                    "splitter": {"chunk_size": size, "chunk_overlap": 10},
                    "text": "code_" + lang, "expect": expect})
# Small random texts and settings: edge cases of both algorithms (boundary sizes, pieces
# made only of whitespace, oversized single characters).
rng = random.Random(20261124)
for n in range(120):
    text = "".join(rng.choice(["a", "b", " ", " ", "\n", "\n\n", "\u00e9"]) for _ in range(rng.randint(1, 40)))
    size = rng.randint(1, 10)
    kwargs = {
        "chunk_size": size,
        "chunk_overlap": rng.randint(0, size),
        "keep_separator": rng.choice([True, False, "start", "end"]),
        "strip_whitespace": rng.choice([True, False]),
    }
    cls = "recursive" if n % 2 == 0 else "character"
    if cls == "character":
        kwargs["separator"] = rng.choice(["\n\n", "\n", " ", ""])
    capture.records.clear()
    chunks = CLASSES[cls](**kwargs).split_text(text)
    expect = chunk_summary(chunks, full=True)
    expect["logs"] = list(capture.records)
    ops.append({"op": "split_text", "class": cls, "splitter": kwargs, "text_value": text, "expect": expect})
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
        "texts_code": CODE,
        "language_separators": {
            l.value: (
                RecursiveCharacterTextSplitter.get_separators_for_language(l)
                if l != Language.PERL else None
            )
            for l in Language
        },
        "ops": ops,
    },
    sys.stdout,
    indent=1,
    ensure_ascii=False,
)
