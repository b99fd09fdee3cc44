"""The reading layer, in four modules by responsibility; the engine imports them from here.

- `ftlint.files`: I/O and partitions (open, gzip, blocks of lines, byte ranges, line counts);
- `ftlint.parse`: lines to records, with the FT001-FT012 issues of the bytes;
- `ftlint.batch`: the batch model rules see (`Batch`, `Issue`, rows helpers);
- `ftlint.sampling`: the records conventions are inferred from.
"""
from ftlint.batch import Batch, Issue, Record, none_as_empty, objects, present_values, where
from ftlint.files import (
    BLOCK_BYTES, DEFAULT_MAX_LINE_BYTES, GzipBomb, GzipStream, RangeReader, count_lines, is_gzip, iter_blocks, iter_raw_lines,
    open_binary, partition,
)
from ftlint.parse import BOM, collector_paused, diagnose, iter_batches, parse_lines
from ftlint.sampling import sample_records

__all__ = [
    "BLOCK_BYTES", "BOM", "DEFAULT_MAX_LINE_BYTES", "Batch", "GzipBomb", "GzipStream", "Issue", "RangeReader", "Record",
    "collector_paused", "count_lines", "diagnose", "is_gzip", "iter_batches", "iter_blocks", "iter_raw_lines", "objects",
    "none_as_empty", "open_binary", "parse_lines", "partition", "present_values", "sample_records", "where",
]
