#!/usr/bin/env python3
"""Generates plugins/tokenizers/src/unicode/unicode_tables.cpp from the Unicode
Character Database (UCD). The output is committed; rerun this only to change
the Unicode data.

usage: scripts/gen_unicode_tables.py [--ucd DIR] [--out FILE]

DIR holds the UCD text files of version 15.0.0 (Debian: `apt-get install
unicode-data`, version 15.0.0-1, gives /usr/share/unicode). The script refuses
another version, so regenerating gives the same file.

What the tables hold (docs/tokenizers.md, "Unicode"):
- General_Category, White_Space, Alphabetic and full case mappings from UCD 15.0.
- The character classes that Hugging Face `tokenizers` (0.23) uses for BERT
  (control, punctuation, non-spacing mark) as of Unicode 8.0, the data of the
  `unicode_categories` crate it links: UCD 15.0 restricted to characters
  assigned by 8.0 (DerivedAge), with the few characters whose category changed
  since then set back to their 8.0 value (OLD_CATEGORIES below).
- Normalization (decompositions, combining classes, compositions) and the
  combining-mark class of the StripAccents normalizer as of Unicode 9.0, the data
  of `unicode-normalization-alignments` that tokenizers uses: UCD 15.0
  restricted to characters assigned by 9.0. Decompositions and non-zero
  combining classes never change once assigned (Unicode stability policy), so
  this restriction reproduces the 9.0 data exactly.
Hangul syllables are decomposed and composed algorithmically (not in tables).
"""
import argparse
import os
import sys

UCD_VERSION = "15.0.0"
BERT_CATEGORY_AGE = (8, 0)
NORMALIZATION_AGE = (9, 0)
# General_Category values in UCD 8.0 / 9.0 of the characters whose category
# changed later (UCD change notes of 9.0 - 14.0). Only changes that matter for
# the classes above are listed.
OLD_CATEGORIES = {
    (8, 0): {0x111C9: "Po", 0x166D: "Po", 0x1734: "Mn", 0x1885: "Lo", 0x1886: "Lo", 0xA9BD: "Mc"},
    (9, 0): {0x111C9: "Po", 0x1CF2: "Mc", 0x1CF3: "Mc"},
}

CATEGORIES = ["Lu", "Ll", "Lt", "Lm", "Lo", "Mn", "Mc", "Me", "Nd", "Nl", "No", "Pc", "Pd", "Ps", "Pe", "Pi",
              "Pf", "Po", "Sm", "Sc", "Sk", "So", "Zs", "Zl", "Zp", "Cc", "Cf", "Cs", "Co", "Cn"]
FLAGS = {
    "white_space": 1 << 0,
    "alphabetic": 1 << 1,
    "bert_control": 1 << 2,
    "bert_punctuation": 1 << 3,
    "bert_nonspacing_mark": 1 << 4,
    "hf_combining_mark": 1 << 5,
    "canonical_decomposition": 1 << 6,
    "compat_decomposition": 1 << 7,
    "lowercase_mapping": 1 << 8,
    "uppercase_mapping": 1 << 9,
}
MAX_CP = 0x110000
BLOCK = 128


def read_ranges(path):
    """Yields (first, last, fields) from a UCD property file."""
    with open(path, encoding="utf-8") as f:
        for line in f:
            line = line.split("#", 1)[0].strip()
            if not line:
                continue
            fields = [x.strip() for x in line.split(";")]
            first, _, last = fields[0].partition("..")
            yield int(first, 16), int(last or first, 16), fields[1:]


def load(ucd):
    readme_path = os.path.join(ucd, "ReadMe.txt")
    if not os.path.exists(readme_path):
        sys.exit(f"{ucd}: no UCD here (ReadMe.txt missing); apt-get install unicode-data gives /usr/share/unicode")
    with open(readme_path, encoding="utf-8") as f:
        readme = f.read()
    if "Version " + UCD_VERSION not in readme:
        sys.exit(f"{ucd}: not UCD {UCD_VERSION} (see the docstring)")
    category = ["Cn"] * MAX_CP
    ccc = [0] * MAX_CP
    decomposition = {}
    lower = {}
    upper = {}
    prev = None
    with open(os.path.join(ucd, "UnicodeData.txt"), encoding="utf-8") as f:
        for line in f:
            fields = line.rstrip("\n").split(";")
            cp = int(fields[0], 16)
            if fields[1].endswith(", Last>"):
                for c in range(prev + 1, cp):
                    category[c] = fields[2]
                    ccc[c] = int(fields[3])
            prev = cp
            category[cp] = fields[2]
            ccc[cp] = int(fields[3])
            if fields[5]:
                parts = fields[5].split()
                compat = parts[0].startswith("<")
                decomposition[cp] = (compat, [int(x, 16) for x in (parts[1:] if compat else parts)])
            if fields[13]:
                lower[cp] = [int(fields[13], 16)]
            if fields[12]:
                upper[cp] = [int(fields[12], 16)]
    # Unconditional full mappings (what Rust's char::to_lowercase/to_uppercase use).
    with open(os.path.join(ucd, "SpecialCasing.txt"), encoding="utf-8") as f:
        for line in f:
            line = line.split("#", 1)[0].strip()
            if not line:
                continue
            fields = [x.strip() for x in line.split(";")]
            if len(fields) > 4 and fields[4]:
                continue  # language- or context-dependent
            cp = int(fields[0], 16)
            lo = [int(x, 16) for x in fields[1].split()]
            up = [int(x, 16) for x in fields[3].split()]
            if lo != [cp]:
                lower[cp] = lo
            elif cp in lower:
                del lower[cp]
            if up != [cp]:
                upper[cp] = up
            elif cp in upper:
                del upper[cp]
    age = [None] * MAX_CP
    for a, b, f in read_ranges(os.path.join(ucd, "DerivedAge.txt")):
        v = tuple(int(x) for x in f[0].split("."))
        for c in range(a, b + 1):
            age[c] = v
    white_space = set()
    for a, b, f in read_ranges(os.path.join(ucd, "PropList.txt")):
        if f[0] == "White_Space":
            white_space.update(range(a, b + 1))
    alphabetic = set()
    for a, b, f in read_ranges(os.path.join(ucd, "DerivedCoreProperties.txt")):
        if f[0] == "Alphabetic":
            alphabetic.update(range(a, b + 1))
    exclusions = set()
    for a, b, f in read_ranges(os.path.join(ucd, "DerivedNormalizationProps.txt")):
        if f[0] == "Full_Composition_Exclusion":
            exclusions.update(range(a, b + 1))
    return category, ccc, decomposition, lower, upper, age, white_space, alphabetic, exclusions


def assigned_by(age, cp, version):
    return age[cp] is not None and age[cp] <= version


def category_as_of(category, age, cp, version):
    if not assigned_by(age, cp, version):
        return "Cn"
    return OLD_CATEGORIES[version].get(cp, category[cp])


def full_decomposition(cp, decomposition, compat):
    d = decomposition.get(cp)
    if d is None or (d[0] and not compat):
        return [cp]
    out = []
    for c in d[1]:
        out.extend(full_decomposition(c, decomposition, compat))
    return out


def c_array(name, ctype, values, per_line=16):
    lines = [f"const {ctype} {name}[] = {{"]
    for i in range(0, len(values), per_line):
        lines.append("  " + ", ".join(str(v) for v in values[i:i + per_line]) + ",")
    lines.append("};")
    return "\n".join(lines)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--ucd", default="/usr/share/unicode")
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    ap.add_argument("--out", default=os.path.join(root, "plugins/tokenizers/src/unicode/unicode_tables.cpp"))
    args = ap.parse_args()
    category, ccc, decomposition, lower, upper, age, white_space, alphabetic, exclusions = load(args.ucd)

    norm_ok = lambda c: assigned_by(age, c, NORMALIZATION_AGE)
    canonical, compat = {}, {}
    for cp in decomposition:
        if not norm_ok(cp):
            continue
        d = full_decomposition(cp, decomposition, False)
        if d != [cp]:
            canonical[cp] = d
        k = full_decomposition(cp, decomposition, True)
        if k != [cp]:
            compat[cp] = k
    # Primary composites: canonical pairs, not excluded, as of the normalization version.
    compositions = {}
    for cp, (is_compat, parts) in decomposition.items():
        if is_compat or not norm_ok(cp) or cp in exclusions or len(parts) != 2:
            continue
        compositions[(parts[0], parts[1])] = cp

    records, record_index, info = [], {}, []
    for cp in range(MAX_CP):
        flags = 0
        if cp in white_space:
            flags |= FLAGS["white_space"]
        if cp in alphabetic:
            flags |= FLAGS["alphabetic"]
        bert_cat = category_as_of(category, age, cp, BERT_CATEGORY_AGE)
        if bert_cat in ("Cc", "Cf", "Co"):
            flags |= FLAGS["bert_control"]
        if bert_cat.startswith("P"):
            flags |= FLAGS["bert_punctuation"]
        if bert_cat == "Mn":
            flags |= FLAGS["bert_nonspacing_mark"]
        if category_as_of(category, age, cp, NORMALIZATION_AGE) in ("Mn", "Mc", "Me"):
            flags |= FLAGS["hf_combining_mark"]
        if cp in canonical:
            flags |= FLAGS["canonical_decomposition"]
        if cp in compat:
            flags |= FLAGS["compat_decomposition"]
        if cp in lower:
            flags |= FLAGS["lowercase_mapping"]
        if cp in upper:
            flags |= FLAGS["uppercase_mapping"]
        rec = (CATEGORIES.index(category[cp]), ccc[cp] if norm_ok(cp) else 0, flags)
        if rec not in record_index:
            record_index[rec] = len(records)
            records.append(rec)
        info.append(record_index[rec])

    stage1, stage2, blocks = [], [], {}
    for start in range(0, MAX_CP, BLOCK):
        block = tuple(info[start:start + BLOCK])
        if block not in blocks:
            blocks[block] = len(stage2) // BLOCK
            stage2.extend(block)
        stage1.append(blocks[block])

    def sequences(table):
        keys = sorted(table)
        entries, data = [], []
        for cp in keys:
            seq = table[cp]
            entries.append(f"{{0x{cp:X}, {len(data)}, {len(seq)}}}")
            data.extend(seq)
            assert len(seq) < 256 and len(data) < 65536, "Mapping holds uint8_t lengths, uint16_t offsets"
        return entries, data

    out = []
    out.append("// GENERATED by scripts/gen_unicode_tables.py from the Unicode Character Database")
    out.append(f"// {UCD_VERSION}. Do not edit: change the script and rerun it.")
    out.append("// clang-format off")
    out.append('#include "unicode/unicode_tables.hpp"')
    out.append("")
    out.append("namespace loom::tokenizers::unicode::tables {")
    out.append("")
    out.append(f'const char* const kUcdVersion = "{UCD_VERSION}";')
    out.append(f"const int kBlockShift = {BLOCK.bit_length() - 1};")
    out.append("")
    out.append("const CharInfo kInfo[] = {")
    for cat, c, flags in records:
        out.append(f"  {{{cat}, {c}, 0x{flags:03X}}},")
    out.append("};")
    out.append(c_array("kStage1", "uint16_t", stage1))
    assert len(records) < 256, "kStage2 holds uint8_t record indices"
    out.append(c_array("kStage2", "uint8_t", stage2, 32))
    for name, table in (("Canonical", canonical), ("Compat", compat), ("Lower", lower), ("Upper", upper)):
        entries, data = sequences(table)
        out.append(f"const Mapping k{name}[] = {{")
        for i in range(0, len(entries), 6):
            out.append("  " + ", ".join(entries[i:i + 6]) + ",")
        out.append("};")
        out.append(f"const size_t k{name}Count = {len(entries)};")
        out.append(c_array(f"k{name}Data", "char32_t", [f"0x{c:X}" for c in data], 12))
    out.append("const Composition kCompositions[] = {")
    items = sorted(compositions.items())
    for i in range(0, len(items), 4):
        out.append("  " + ", ".join(f"{{0x{a:X}, 0x{b:X}, 0x{c:X}}}" for (a, b), c in items[i:i + 4]) + ",")
    out.append("};")
    out.append(f"const size_t kCompositionCount = {len(items)};")
    out.append("")
    out.append("}  // namespace loom::tokenizers::unicode::tables")
    text = "\n".join(out) + "\n"
    with open(args.out, "w", encoding="utf-8") as f:
        f.write(text)
    print(f"wrote {args.out}: {len(records)} records, {len(stage2) // BLOCK} blocks, "
          f"{len(canonical)} canonical / {len(compat)} compat decompositions, {len(items)} compositions, "
          f"{len(lower)} lower / {len(upper)} upper mappings, {len(text) // 1024} KiB")


if __name__ == "__main__":
    main()
