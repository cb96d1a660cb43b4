"""Reading records for the data-loading commands from a file or an http(s) URL.

Staff keep prompts, the catalog and the model registry in a file in the repository or
in a "cloud" copy (a spreadsheet published as CSV, a JSON file in object storage). All
three loaders share this reader so that every source fails the same way: one
`DataSourceError` naming the source, the record and what is wrong, raised before
anything is written.

Modules: `records` (a record and its typed getters), `reading` (fetching and parsing a
source), `loading` (writing the records: upserts, pruning, one transaction for all).
"""

from core.data_sources.loading import (
    Loader,
    LoadJob,
    LoadResult,
    deactivate_missing,
    reject_duplicates,
    run_loads,
    upsert,
)
from core.data_sources.reading import (
    FORMATS,
    MAX_BYTES,
    Fetched,
    fetch,
    parse_records,
    read_records,
)
from core.data_sources.records import DataSourceError, SourceRecord

__all__ = [
    "FORMATS",
    "MAX_BYTES",
    "DataSourceError",
    "Fetched",
    "LoadJob",
    "LoadResult",
    "Loader",
    "SourceRecord",
    "deactivate_missing",
    "fetch",
    "parse_records",
    "read_records",
    "reject_duplicates",
    "run_loads",
    "upsert",
]
