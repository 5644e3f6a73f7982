"""Reads valgrind's XML leak report and attributes each leak record.

    python attribute.py VALGRIND_XML

A record is ours when any frame of its allocation stack is in libhomevisit_ffi (all of our Rust
code, uniffi's scaffolding and the crates it links statically live there) or names a uniffi or
homevisit symbol. CPython's own allocations at exit (PYTHONMALLOC=malloc makes them visible) are
counted apart and ignored. "Possibly lost" is reported, not failed on: the library's tokio
runtime is a process-wide static whose threads are still running at exit. Prints a summary and the
stacks of our records; exits 1 if any bytes are definitely or indirectly lost by us or valgrind saw
a memory error (invalid read/write, uninitialised value) in our library, 2 if the report is
missing or unreadable.
"""

import sys
import xml.etree.ElementTree as ET

OURS_OBJ = "libhomevisit_ffi"
OURS_FN = ("uniffi", "homevisit")
FAILING = ("Leak_DefinitelyLost", "Leak_IndirectlyLost")
SHOW = 8  # stacks printed
KINDS = ("Leak_DefinitelyLost", "Leak_IndirectlyLost", "Leak_PossiblyLost")


def frames(error):
    stack = error.find("stack")
    for f in (stack.findall("frame") if stack is not None else []):
        yield (f.findtext("obj") or "", f.findtext("fn") or "??", f.findtext("file") or "", f.findtext("line") or "")


def is_ours(error):
    return any(OURS_OBJ in obj or any(s in fn for s in OURS_FN) for obj, fn, _, _ in frames(error))


def main(path):
    try:
        root = ET.parse(path).getroot()
    except (OSError, ET.ParseError) as e:
        print(f"leak-check: cannot read valgrind's report {path}: {e}", file=sys.stderr)
        return 2
    totals = {(k, o): [0, 0] for k in KINDS for o in (True, False)}
    ours = []
    for error in root.iter("error"):
        kind = error.findtext("kind")
        if kind not in KINDS:
            continue
        xwhat = error.find("xwhat")
        nbytes = int(xwhat.findtext("leakedbytes", "0")) if xwhat is not None else 0
        blocks = int(xwhat.findtext("leakedblocks", "0")) if xwhat is not None else 0
        mine = is_ours(error)
        totals[(kind, mine)][0] += nbytes
        totals[(kind, mine)][1] += blocks
        if mine:
            ours.append((kind, nbytes, blocks, list(frames(error))))
    memory_errors = {True: [], False: []}  # invalid reads, uninitialised values...: not leaks
    for e in root.iter("error"):
        if not (e.findtext("kind") or "").startswith("Leak_"):
            memory_errors[is_ours(e)].append(e)

    print("valgrind leak summary (bytes in blocks):")
    print(f"  {'':22} {'libhomevisit_ffi':>24} {'CPython and the rest':>24}")
    for k in KINDS:
        mine, rest = totals[(k, True)], totals[(k, False)]
        print(f"  {k[5:]:22} {mine[0]:>12} in {mine[1]:>6}   {rest[0]:>12} in {rest[1]:>6}")
    for mine, label in ((True, "in libhomevisit_ffi"), (False, "elsewhere (CPython)")):
        kinds = sorted({e.findtext("kind") for e in memory_errors[mine]})
        print(f"  memory errors (not leaks) {label}: {len(memory_errors[mine])}"
              + (f" ({', '.join(kinds)})" if kinds else ""))
    for e in memory_errors[True]:
        print(f"\n{e.findtext('kind')}: {e.findtext('what') or (e.find('xwhat').findtext('text') if e.find('xwhat') is not None else '')}")
        for obj, fn, file, line in list(frames(e))[:25]:
            where = f" ({file}:{line})" if file else f" [{obj.rsplit('/', 1)[-1]}]"
            print(f"    {fn}{where}")
    shown = sorted(ours, key=lambda r: (r[0] not in FAILING, -r[1]))[:SHOW]
    if len(ours) > len(shown):
        print(f"\n(the {len(shown)} largest of our {len(ours)} leak records; all are in the XML report)")
    for kind, nbytes, blocks, fr in shown:
        print(f"\n{kind}: {nbytes} bytes in {blocks} blocks")
        for obj, fn, file, line in fr[:25]:
            where = f" ({file}:{line})" if file else f" [{obj.rsplit('/', 1)[-1]}]"
            print(f"    {fn}{where}")
    lost = sum(totals[(k, True)][0] for k in FAILING)
    print(f"\nleaked by libhomevisit_ffi (definitely + indirectly lost): {lost} bytes")
    print(f"LEAKED-BYTES {lost} MEMORY-ERRORS {len(memory_errors[True])}")
    return 1 if lost or memory_errors[True] else 0


sys.exit(main(sys.argv[1]))
