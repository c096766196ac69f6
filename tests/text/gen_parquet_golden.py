#!/usr/bin/env python3
"""Writes the Parquet fixtures of tests/text/parquet_test.cpp with pyarrow.

    build/venv/bin/python tests/text/gen_parquet_golden.py

Each fixture covers one writer feature the C++ reader must handle (codec, encoding, page
version, nulls, row groups, pages per chunk, column layout). expected.json holds, per
fixture, the column read and the non-null strings that pyarrow itself reads back, in row
order: the C++ test compares exactly. A few deliberately corrupt files are derived from
good ones by rewriting one Thrift page header (see corrupt_first_page_header).
"""
import json
import os

import pyarrow as pa
import pyarrow.parquet as pq

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "golden", "parquet")

# Short documents with multi-byte UTF-8 (2, 3 and 4-byte sequences), an empty string and
# repeats (so dictionary encoding has something to share).
WORDS = ["In the beginning", "café crème", "Привет, мир", "中文文本", "emoji 🙂🚀", "naïve façade",
         "", "line one\nline two", "tab\tseparated", "Ελληνικά"]


def texts(n):
    return [f"{WORDS[i % len(WORDS)]} #{i % 13}" if i % 7 else WORDS[i % len(WORDS)] for i in range(n)]


def write(name, table, column="text", **options):
    path = os.path.join(OUT, name)
    pq.write_table(table, path, **options)
    values = pq.read_table(path).column(column).to_pylist()
    return name, {"column": column, "values": [v for v in values if v is not None]}


def corrupt_first_page_header(src, dst, field_id, value):
    """Copies `src` with field `field_id` (an i32) of the first page header set to `value`.

    The page header is Thrift compact: fields 1-3 (type, uncompressed_page_size,
    compressed_page_size) are i32s written with a short field header (delta << 4 | 5) and a
    zigzag varint. Only the header grows; the footer length stays right because the
    metadata bytes are unchanged, but offsets past the header shift, which the reader must
    reject anyway."""
    data = open(os.path.join(OUT, src), "rb").read()
    start = pq.ParquetFile(os.path.join(OUT, src)).metadata.row_group(0).column(0).data_page_offset
    pos = start
    fields = []
    for fid in (1, 2, 3):
        assert data[pos] == 0x15, "unexpected page header layout"
        pos += 1
        v, shift = 0, 0
        while True:
            b = data[pos]
            pos += 1
            v |= (b & 0x7F) << shift
            shift += 7
            if not b & 0x80:
                break
        fields.append((v >> 1) ^ -(v & 1))
    fields[field_id - 1] = value
    header = b""
    for v in fields:
        z = (v << 1) ^ (v >> 63)
        enc = b""
        while True:
            b = z & 0x7F
            z >>= 7
            enc += bytes([b | (0x80 if z else 0)])
            if not z:
                break
        header += b"\x15" + enc
    with open(os.path.join(OUT, dst), "wb") as f:
        f.write(data[:start] + header + data[pos:])


def main():
    os.makedirs(OUT, exist_ok=True)
    expected = dict()
    text40 = pa.table({"text": texts(40)})

    for codec in ["none", "snappy", "gzip", "zstd"]:
        name, exp = write(f"codec_{codec}.parquet", text40, compression=codec)
        expected[name] = exp
    for version in ["1.0", "2.0"]:
        v = version[0]
        for dictionary in [True, False]:
            kind = "dict" if dictionary else "plain"
            name, exp = write(f"{kind}_v{v}.parquet", text40, compression="zstd", use_dictionary=dictionary,
                              data_page_version=version)
            expected[name] = exp

    # Nulls in an optional column, dictionary and plain, both page versions.
    with_nulls = pa.table({"text": [None if i % 3 == 0 else t for i, t in enumerate(texts(30))]})
    for version in ["1.0", "2.0"]:
        for dictionary in [True, False]:
            kind = "dict" if dictionary else "plain"
            name, exp = write(f"nulls_{kind}_v{version[0]}.parquet", with_nulls, compression="snappy",
                              use_dictionary=dictionary, data_page_version=version)
            expected[name] = exp

    # A REQUIRED column (no definition levels at all).
    required = pa.table({"text": texts(20)}, schema=pa.schema([pa.field("text", pa.string(), nullable=False)]))
    name, exp = write("required.parquet", required, compression="none")
    expected[name] = exp

    # Several row groups and several small pages per chunk; the small dictionary limit
    # makes the writer fall back from dictionary to plain pages inside a chunk.
    many = pa.table({"text": [f"{t} {i}" for i, t in enumerate(texts(120))]})
    for version in ["1.0", "2.0"]:
        name, exp = write(f"pages_v{version[0]}.parquet", many, compression="snappy", row_group_size=50,
                          data_page_size=64, write_batch_size=5, dictionary_pagesize_limit=256,
                          data_page_version=version)
        expected[name] = exp

    # Other columns before the text column; a second string column read by name.
    two = pa.table({"id": pa.array(range(25), pa.int64()), "title": [f"title {i} – ü" for i in range(25)],
                    "text": texts(25), "blob": pa.array([b"\x00\xff"] * 25, pa.binary())})
    name, exp = write("two_columns.parquet", two, compression="zstd")
    expected[name] = exp
    name, exp = write("two_columns.parquet", two, column="title", compression="zstd")
    expected["two_columns.parquet#title"] = exp

    # pile-10k's layout: text, then meta {pile_set_name}.
    pile = pa.table({"text": texts(15),
                     "meta": [{"pile_set_name": ["Pile-CC", "Github", "ArXiv"][i % 3]} for i in range(15)]})
    name, exp = write("pile_like.parquet", pile, compression="snappy")
    expected[name] = exp

    # Nested columns before the text column: leaves of a struct and a list come first.
    nested = pa.table({"meta": [{"source": f"s{i}", "n": i} for i in range(12)],
                       "tags": [[f"t{i}", "x"] for i in range(12)],
                       "text": texts(12)})
    name, exp = write("nested.parquet", nested, compression="gzip")
    expected[name] = exp

    # Features the reader refuses by name (no expected values).
    pq.write_table(text40, os.path.join(OUT, "unsupported_brotli.parquet"), compression="brotli")
    pq.write_table(text40, os.path.join(OUT, "unsupported_delta.parquet"), compression="none", use_dictionary=False,
                   column_encoding={"text": "DELTA_BYTE_ARRAY"})

    # Invalid UTF-8 in a string column: pyarrow does not validate buffers it is handed.
    bad = pa.Array.from_buffers(pa.string(), 2, [None, pa.py_buffer(bytes([0, 0, 0, 0, 2, 0, 0, 0, 4, 0, 0, 0])),
                                                 pa.py_buffer(b"ok\xff\xfe")])
    pq.write_table(pa.table({"text": bad}), os.path.join(OUT, "invalid_utf8.parquet"), compression="none")

    # Corrupt page headers (derived from an uncompressed and a gzip fixture).
    corrupt_first_page_header("required.parquet", "bad_compressed_size.parquet", 3, 2**31 - 1)
    corrupt_first_page_header("codec_gzip.parquet", "bad_uncompressed_size.parquet", 2, 2**31 - 1)

    with open(os.path.join(OUT, "expected.json"), "w", encoding="utf-8") as f:
        json.dump(expected, f, ensure_ascii=False, indent=1, sort_keys=True)
        f.write("\n")


if __name__ == "__main__":
    main()
