#!/usr/bin/env python3
"""Writes the Parquet split files of the fake hub dataset that test_calibration_dataset.sh
serves in the hub's sharded layout (data/<split>-00000-of-00001-<hash>.parquet):
documents of 120 words cut from examples/tiny-qwen3/calibration.txt, snappy-compressed as
`datasets` writes them. Needs pyarrow (the reference venv):
  build/venv/bin/python tests/hub/gen_calib_parquet.py
"""
import os

import pyarrow as pa
import pyarrow.parquet as pq

here = os.path.dirname(os.path.abspath(__file__))
words = open(os.path.join(here, "../../examples/tiny-qwen3/calibration.txt")).read().split()


def docs(first, count):
    return [" ".join(words[i * 120:(i + 1) * 120]) for i in range(first, first + count)]


os.makedirs(os.path.join(here, "fixtures"), exist_ok=True)
for split, first, count in (("train", 40, 7), ("test", 50, 2)):
    table = pa.table({"text": docs(first, count), "id": list(range(count))})
    pq.write_table(table, os.path.join(here, "fixtures", "calib-%s.parquet" % split), compression="snappy")
