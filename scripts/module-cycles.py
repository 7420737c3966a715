#!/usr/bin/env python3
"""Print the import cycles between the files of one crate (issue 14).

Usage: scripts/module-cycles.py CRATE_SRC_DIR [--edges]

Builds a file-level graph from `use crate::...`, `use super::...`, `use self::...`,
relative `use child::...` and `crate::` / `super::` / `self::` / `child::` paths written
in code (a path through a name brought in by `use` counts too),
maps every path to the file that defines the item (following `use` re-exports, so
`crate::Error` re-exported by lib.rs points at error.rs, not lib.rs) and prints every
cycle. A parent declaring `mod child;` is not an edge; a parent using its child and a
child using `super::X` (X defined in the parent) are. Comments, doc comments and string
literals are ignored. Exit status 1 when there is a cycle, 0 otherwise. Stdlib only.
"""

import os
import re
import sys

IDENT = r"[A-Za-z_][A-Za-z0-9_]*"


def strip_comments_and_strings(text):
    """Blank out comments, string and char literals, keeping line structure."""
    out = []
    i, n = 0, len(text)
    while i < n:
        c = text[i]
        if text.startswith("//", i):
            j = text.find("\n", i)
            j = n if j < 0 else j
            i = j
        elif text.startswith("/*", i):
            depth, j = 1, i + 2
            while j < n and depth:
                if text.startswith("/*", j):
                    depth, j = depth + 1, j + 2
                elif text.startswith("*/", j):
                    depth, j = depth - 1, j + 2
                else:
                    j += 1
            out.append("\n" * text.count("\n", i, j))
            i = j
        elif c == "r" and re.match(r'r#*"', text[i:i + 10]) and not re.match(
            r"[A-Za-z0-9_]", text[i - 1] if i else " "
        ):
            m = re.match(r'r(#*)"', text[i:])
            end = '"' + m.group(1)
            j = text.find(end, i + len(m.group(0)))
            j = n if j < 0 else j + len(end)
            out.append('""' + "\n" * text.count("\n", i, j))
            i = j
        elif c == '"':
            j = i + 1
            while j < n and text[j] != '"':
                j += 2 if text[j] == "\\" else 1
            out.append('""' + "\n" * text.count("\n", i, j))
            i = j + 1
        elif c == "'":
            # A char literal ('a', '\n', '\u{1F600}') or a lifetime ('a): skip literals only.
            m = re.match(r"'(\\.[^']*|[^\\'])'", text[i:])
            if m:
                out.append("' '")
                i += len(m.group(0))
            else:
                out.append(c)
                i += 1
        else:
            out.append(c)
            i += 1
    return "".join(out)


def expand_use_tree(tree):
    """`a::{b, c::{d, e as f}, self}` -> [['a','b'], ['a','c','d'], ['a']] (aliases kept)."""
    tree = re.sub(r"\s*(::|\{|\}|,)\s*", r"\1", tree.strip())

    def split_top(s):
        parts, depth, cur = [], 0, ""
        for ch in s:
            if ch == "{":
                depth += 1
            elif ch == "}":
                depth -= 1
            if ch == "," and depth == 0:
                parts.append(cur)
                cur = ""
            else:
                cur += ch
        if cur:
            parts.append(cur)
        return parts

    def expand(s):
        if "{" not in s:
            alias, path = None, s
            m = re.match(r"^(.*?)\s+as\s+(" + IDENT + r")$", s)
            if m:
                path, alias = m.group(1), m.group(2)
            segs = [x for x in path.split("::") if x]
            return [(segs, alias)]
        k = s.index("{")
        prefix = [x for x in s[:k].split("::") if x]
        inner = s[k + 1 : s.rindex("}")]
        res = []
        for part in split_top(inner):
            for segs, alias in expand(part):
                if segs == ["self"]:
                    res.append((prefix, alias))
                else:
                    res.append((prefix + segs, alias))
        return res

    return expand(tree)


class Crate:
    def __init__(self, src):
        self.src = os.path.abspath(src)
        self.files = {}  # module path tuple -> file
        self.uses = {}  # file -> list of (module tuple, [segs], alias, line)
        self.code_paths = {}  # file -> list of (module tuple, [segs], line)
        self.inline = {}  # module tuple -> file, for inline `mod x { }`
        self.imports = {}  # module tuple -> {name: (module tuple, segs)}
        self.items = {}  # module tuple -> set of names defined there
        for root, _, names in os.walk(self.src):
            for name in names:
                if name.endswith(".rs"):
                    path = os.path.join(root, name)
                    mod = self.module_of(path)
                    if mod is not None:
                        self.files[mod] = path
        for mod, path in list(self.files.items()):
            self.scan(mod, path)

    def module_of(self, path):
        rel = os.path.relpath(path, self.src)
        parts = rel[:-3].split(os.sep)
        if parts in (["lib"], ["main"]):
            return ()
        if parts[-1] == "mod":
            parts = parts[:-1]
        if "bin" == parts[0]:
            return None
        return tuple(parts)

    def file_of(self, mod):
        while mod not in self.files and mod not in self.inline and mod:
            mod = mod[:-1]
        return self.files.get(mod) or self.inline.get(mod) or self.files[()]

    def is_module(self, mod):
        return mod in self.files or mod in self.inline

    def scan(self, mod, path):
        with open(path, encoding="utf-8") as f:
            text = strip_comments_and_strings(f.read())
        uses, code = [], []
        # Track inline modules by brace depth so `super::` inside `mod tests {}` resolves.
        stack = [(mod, -1)]
        depth = 0
        use_re = re.compile(r"\b(?:pub(?:\([^)]*\))?\s+)?use\s+([^;]+);")
        pos = 0
        tokens = re.finditer(
            r"\bmod\s+(" + IDENT + r")\s*\{|\{|\}|" + use_re.pattern
            + r"|(?<![:\w])" + IDENT + r"(?:\s*::\s*" + IDENT + r")+",
            text,
        )
        for m in tokens:
            tok = m.group(0)
            line = text.count("\n", 0, m.start()) + 1
            cur = stack[-1][0]
            if m.group(1):
                depth += 1
                child = cur + (m.group(1),)
                self.inline[child] = path
                stack.append((child, depth))
                self.items.setdefault(cur, set()).add(m.group(1))
            elif tok == "{":
                depth += 1
            elif tok == "}":
                if stack[-1][1] == depth:
                    stack.pop()
                depth -= 1
            elif m.group(2) is not None:
                for segs, alias in expand_use_tree(m.group(2)):
                    if not segs:
                        continue
                    uses.append((cur, segs, alias, line))
                    name = alias or segs[-1]
                    if name not in ("*", "self", "_"):
                        self.imports.setdefault(cur, {})[name] = (cur, segs)
            else:
                segs = [s for s in re.split(r"\s*::\s*", tok) if s]
                code.append((cur, segs, line))
        for m in re.finditer(
            r"\b(?:fn|struct|enum|trait|type|const|static|union|macro_rules!)\s+(" + IDENT + ")",
            text,
        ):
            self.items.setdefault(mod, set()).add(m.group(1))
        self.uses[path] = uses
        self.code_paths[path] = code

    def absolute(self, cur, segs):
        """The path `segs` written in module `cur`, made absolute, or None (extern)."""
        segs = list(segs)
        if segs[0] == "crate":
            base, segs = (), segs[1:]
        elif segs[0] in ("super", "self"):
            base = cur
            while segs and segs[0] in ("super", "self"):
                if segs[0] == "super":
                    base = base[:-1]
                segs = segs[1:]
        elif self.is_module(cur + (segs[0],)):
            base = cur
        elif segs[0] in self.imports.get(cur, {}) and segs[0] != segs[-1]:
            icur, isegs = self.imports[cur][segs[0]]
            inner = self.absolute(icur, isegs)
            if inner is None:
                return None
            return inner + tuple(segs[1:])
        else:
            return None
        return base + tuple(segs)

    def resolve(self, path, seen=None):
        """Absolute path -> file defining its target, following `use` re-exports (None
        when the name comes from another crate)."""
        seen = seen or set()
        if path in seen:
            return self.file_of(path)
        seen.add(path)
        mod = ()
        i = 0
        while i < len(path) and self.is_module(mod + (path[i],)):
            mod = mod + (path[i],)
            i += 1
        if i == len(path) or path[i] == "*":
            return self.file_of(mod)
        name = path[i]
        if name in self.items.get(mod, set()):
            return self.file_of(mod)
        imp = self.imports.get(mod, {}).get(name)
        if imp is not None:
            target = self.absolute(*imp)
            if target is None:
                return None  # re-exported from another crate
            return self.resolve(target + tuple(path[i + 1 :]), seen)
        return self.file_of(mod)

    def edges(self):
        edges = {}
        for path in self.files.values():
            items = [(c, s, ln) for c, s, _, ln in self.uses[path]] + self.code_paths[path]
            for cur, segs, line in items:
                absolute = self.absolute(cur, segs)
                if absolute is None:
                    continue
                target = self.resolve(absolute)
                if target is not None and target != path:
                    edges.setdefault(path, {}).setdefault(target, []).append(
                        (line, "::".join(segs))
                    )
        return edges


def cycles(nodes, edges):
    """Strongly connected components with more than one file (Tarjan)."""
    index, low, on, stack, out = {}, {}, set(), [], []
    counter = [0]

    def visit(v):
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on.add(v)
        for w in edges.get(v, {}):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on.discard(w)
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1:
                out.append(sorted(comp))

    sys.setrecursionlimit(10000)
    for v in sorted(nodes):
        if v not in index:
            visit(v)
    return out


def main():
    args = [a for a in sys.argv[1:] if not a.startswith("--")]
    if len(args) != 1:
        print(__doc__.strip().splitlines()[2], file=sys.stderr)
        return 2
    crate = Crate(args[0])
    edges = crate.edges()
    rel = lambda p: os.path.relpath(p, crate.src)
    if "--edges" in sys.argv:
        for a in sorted(edges):
            for b in sorted(edges[a]):
                print(f"{rel(a)} -> {rel(b)}")
    found = cycles(crate.files.values(), edges)
    for comp in found:
        print("cycle between: " + ", ".join(rel(f) for f in comp))
        members = set(comp)
        for a in comp:
            for b, why in sorted(edges.get(a, {}).items()):
                if b in members:
                    line, text = why[0]
                    print(f"  {rel(a)}:{line} -> {rel(b)}  ({text})")
    if found:
        return 1
    print(f"{args[0]}: no module cycles ({len(crate.files)} files)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
