#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""size_report.py: what each object costs in a linked image, from a GNU ld map.

Reads the map file of examples/size (m0_app.elf.map, linked with
--gc-sections, so only what survived the link is counted) and attributes
every input section to its object: text (.text + .rodata, flash), data
(.data: flash and RAM) and bss (.bss and COMMON: RAM). Objects of the
library (libblehost.a by default) are one group; the program's own objects
(app and port) another; other archives (libc, libgcc) a third; alignment
fill a fourth. The map gives string sections (.rodata.str*) their size
before the linker merged duplicates, so the difference between each output
section's size and what its inputs add up to is shown as "merged" (a
negative text figure); the image totals then equal arm-none-eabi-size's.
Prints a summary per group and, with --objects, one table per
group sorted by flash (text + data), text, or RAM (data + bss).

Usage: size_report.py MAP [--lib libblehost.a] [--objects] [--sort flash|text|ram]
                          [--top N] [--budget FLASH_KB RAM_KB] [--api HEADER]
--api warns about functions declared in HEADER that the link dropped, which
means the app does not call them and the figure undercounts.
"""
import argparse
import collections
import re
import sys

SKIP_OUTPUT = re.compile(r"^\.(debug|comment|ARM\.attributes|stab|note\.gnu)")
OUT_SEC = re.compile(r"^(\.\S+)(?:\s+0x[0-9a-fA-F]+\s+0x([0-9a-fA-F]+))?")
OUT_SEC_CONT = re.compile(r"^\s+0x[0-9a-fA-F]+\s+0x([0-9a-fA-F]+)\s*$")
IN_SEC_FULL = re.compile(r"^ (\S+)\s+0x([0-9a-fA-F]+)\s+0x([0-9a-fA-F]+)\s+(\S.*)$")
IN_SEC_NAME = re.compile(r"^ (\S+)\s*$")
IN_SEC_CONT = re.compile(r"^\s+0x([0-9a-fA-F]+)\s+0x([0-9a-fA-F]+)\s+(\S.*)$")
FILL = re.compile(r"^ \*fill\*\s+0x[0-9a-fA-F]+\s+0x([0-9a-fA-F]+)")
MEMBER = re.compile(r"^(.*?)([^/\\]+\.a)\((.+)\)$")


def kind_of(section):
    """text, data or bss for an input section name; None for what is not loaded."""
    if section.startswith((".bss", ".sbss", "COMMON", ".noinit")):
        return "bss"
    if section.startswith((".data", ".sdata")):
        return "data"
    if section.startswith((".text", ".rodata", ".isr_vector", ".ARM.exidx", ".ARM.extab",
                           ".init", ".fini", ".glue_7", ".vfp11_veneer", ".v4_bx",
                           ".iplt", ".rel.", ".eh_frame", ".preinit_array",
                           ".init_array", ".fini_array")):
        return "text"
    return None


def owner_of(path, lib):
    """(group, object name) for the object a map line names."""
    path = path.strip()
    m = MEMBER.match(path)
    if m:
        archive, member = m.group(2), m.group(3)
        if archive == lib:
            return "blehost", member.replace(".c.obj", ".c").replace(".c.o", ".c")
        return "libc+libgcc", "%s(%s)" % (archive, member)
    name = re.split(r"[/\\]", path)[-1]
    if name.endswith((".obj", ".o")):
        return "app+port", name.replace(".c.obj", ".c").replace(".c.o", ".c")
    return "other", path


def parse(map_path, lib):
    """{group: {object: Counter(text, data, bss)}} and the set of input section names."""
    sizes = collections.defaultdict(lambda: collections.defaultdict(collections.Counter))
    sections = set()
    out_size = collections.Counter()  # per output section: its size, minus what we counted
    in_map = False
    out_name = ""
    out_pending = False
    pending = None
    with open(map_path, encoding="utf-8", errors="replace") as f:
        for line in f:
            line = line.rstrip("\n")
            if not in_map:
                in_map = line.startswith("Linker script and memory map")
                continue
            m = OUT_SEC.match(line)
            if m:
                out_name, pending = m.group(1), None
                out_pending = m.group(2) is None
                if m.group(2):
                    out_size[out_name] += int(m.group(2), 16)
                continue
            m = OUT_SEC_CONT.match(line) if out_pending else None
            out_pending = False
            if m:
                out_size[out_name] += int(m.group(1), 16)
                continue
            if SKIP_OUTPUT.match(out_name):
                continue
            m = FILL.match(line)
            if m:
                if kind_of(out_name):
                    sizes["fill"]["*fill*"][kind_of(out_name)] += int(m.group(1), 16)
                    out_size[out_name] -= int(m.group(1), 16)
                pending = None
                continue
            m = IN_SEC_FULL.match(line)
            if m:
                sec, size, path = m.group(1), int(m.group(3), 16), m.group(4)
            else:
                m = IN_SEC_CONT.match(line)
                if m and pending:
                    sec, size, path = pending, int(m.group(2), 16), m.group(3)
                else:
                    m = IN_SEC_NAME.match(line)
                    pending = m.group(1) if m and not line.startswith(" *") else None
                    continue
            pending = None
            kind = kind_of(sec)
            if kind is None or size == 0 or path.startswith("load address"):
                continue
            sections.add(sec)
            group, obj = owner_of(path, lib)
            sizes[group][obj][kind] += size
            out_size[out_name] -= size
    if not in_map:
        sys.exit("size_report: %s has no memory map (not a GNU ld map file?)" % map_path)
    for out, diff in out_size.items():
        if diff != 0 and kind_of(out) and not SKIP_OUTPUT.match(out):
            sizes["merged"]["(merged by the linker)"][kind_of(out)] += diff
    return sizes, sections


def total(objs):
    t = collections.Counter()
    for c in objs.values():
        t.update(c)
    return t


def row(name, c, width):
    flash, ram = c["text"] + c["data"], c["data"] + c["bss"]
    return "%-*s %7d %6d %6d %8d %7d" % (width, name, c["text"], c["data"], c["bss"], flash, ram)


def header(first, width):
    return "%-*s %7s %6s %6s %8s %7s" % (width, first, "text", "data", "bss", "flash", "RAM")


def api_missing(header_path, sections):
    """Functions declared in header_path whose .text.<name> section is not in the link."""
    with open(header_path, encoding="utf-8") as f:
        decls = re.findall(r"^[A-Za-z_][\w \*]*?\b(bh_\w+)\(", f.read(), re.M)
    kept = {s[len(".text."):] for s in sections if s.startswith(".text.")}
    return [d for d in dict.fromkeys(decls) if d not in kept]


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("map")
    ap.add_argument("--lib", default="libblehost.a", help="archive reported as blehost")
    ap.add_argument("--objects", action="store_true", help="one table per group, per object")
    ap.add_argument("--sort", choices=("flash", "text", "ram"), default="flash")
    ap.add_argument("--top", type=int, default=0, help="only the N largest objects per group")
    ap.add_argument("--budget", nargs=2, type=float, metavar=("FLASH_KB", "RAM_KB"))
    ap.add_argument("--api", metavar="HEADER", help="check every function of HEADER was kept")
    args = ap.parse_args()

    sizes, sections = parse(args.map, args.lib)
    groups = [g for g in ("blehost", "app+port", "libc+libgcc", "other", "fill", "merged") if g in sizes]
    width = 24
    if args.objects:
        key = {"flash": lambda c: c["text"] + c["data"], "text": lambda c: c["text"],
               "ram": lambda c: c["data"] + c["bss"]}[args.sort]
        for g in groups:
            objs = sorted(sizes[g].items(), key=lambda kv: (-key(kv[1]), kv[0]))
            if args.top:
                objs = objs[:args.top]
            width_g = max([width] + [len(o) for o, _ in objs])
            print(header(g + " (by %s)" % args.sort, width_g))
            for obj, c in objs:
                print(row(obj, c, width_g))
            print()
    print(header("linked (bytes)", width))
    everything = collections.Counter()
    for g in groups:
        t = total(sizes[g])
        everything.update(t)
        print(row(g, t, width))
    print(row("image", everything, width))
    if args.budget and "blehost" in sizes:
        t = total(sizes["blehost"])
        flash, ram = t["text"] + t["data"], t["data"] + t["bss"]
        fb, rb = args.budget[0] * 1024, args.budget[1] * 1024
        print("blehost against the budget: flash %d / %d (%.0f%%), RAM %d / %d (%.0f%%)"
              % (flash, fb, 100 * flash / fb, ram, rb, 100 * ram / rb))
    if args.api:
        missing = api_missing(args.api, sections)
        if missing:
            print("warning: not linked (the app does not call them): " + " ".join(missing))
    return 0


if __name__ == "__main__":
    sys.exit(main())
