"""Reading records from files and URLs: every problem is one clear `DataSourceError`."""

import socket
from decimal import Decimal
from pathlib import Path

import pytest

from catalog.models import Service
from core.data_sources import MAX_BYTES, DataSourceError, SourceRecord, read_records
from tests.loading import write_source

write = write_source


def record(**data):
    return SourceRecord("test.yaml", "record 1", data)


def closed_port_url():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return f"http://127.0.0.1:{port}/prompts.csv"


def test_yaml_records_are_read_from_the_root_key(tmp_path):
    path = write(tmp_path, "items.yaml", "items:\n  - slug: a\n  - slug: b\n")

    records = read_records(path, root_key="items")

    assert [r.data["slug"] for r in records] == ["a", "b"]
    assert records[1].where == "record 2"


def test_a_plain_json_list_is_read_too(tmp_path):
    path = write(tmp_path, "items.json", '[{"slug": "a"}]')

    assert read_records(path, root_key="items")[0].data == {"slug": "a"}


def test_csv_rows_are_numbered_like_the_spreadsheet(tmp_path):
    path = write(tmp_path, "items.csv", "\ufeffslug,title\na,First\n,\nb,Second\n")

    records = read_records(path, root_key="items")

    assert [(r.where, r.data["slug"]) for r in records] == [("row 2", "a"), ("row 4", "b")]


def test_csv_cells_keep_line_breaks(tmp_path):
    path = write(tmp_path, "items.csv", 'slug,text\na,"line one\nline two"\n')

    assert read_records(path, root_key="items")[0].data["text"] == "line one\nline two"


def test_a_csv_row_longer_than_the_header_is_rejected(tmp_path):
    path = write(tmp_path, "items.csv", "slug\na,extra\n")

    with pytest.raises(DataSourceError, match=r"items\.csv, row 2: more cells than column"):
        read_records(path, root_key="items")


def test_a_broken_csv_is_rejected(tmp_path):
    path = write(tmp_path, "items.csv", "slug\n" + "x" * 200_000 + "\n")

    with pytest.raises(DataSourceError, match="not valid CSV"):
        read_records(path, root_key="items")


def test_the_format_option_wins_over_the_file_name(tmp_path):
    path = write(tmp_path, "items.txt", "slug\na\n")

    assert read_records(path, root_key="items", fmt="csv")[0].data == {"slug": "a"}


def test_an_unknown_format_is_reported(tmp_path):
    path = write(tmp_path, "items.txt", "slug: a")

    with pytest.raises(DataSourceError, match="cannot tell the format"):
        read_records(path, root_key="items")


def test_a_file_url_is_read(tmp_path):
    path = write(tmp_path, "items.yaml", "- slug: a\n")

    assert read_records(Path(path).as_uri(), root_key="items")[0].data == {"slug": "a"}


def test_other_url_schemes_are_refused():
    with pytest.raises(DataSourceError, match="only http"):
        read_records("ftp://127.0.0.1/items.csv", root_key="items")


def test_a_missing_file_is_reported(tmp_path):
    with pytest.raises(DataSourceError, match=r"missing\.yaml: cannot read the file"):
        read_records(tmp_path / "missing.yaml", root_key="items")


def test_a_file_over_the_size_limit_is_refused(tmp_path):
    path = tmp_path / "huge.yaml"
    with path.open("wb") as file:
        file.truncate(MAX_BYTES + 1)

    with pytest.raises(DataSourceError, match="larger than the 5 MB limit"):
        read_records(path, root_key="items")


def test_text_that_is_not_utf8_is_refused(tmp_path):
    path = write(tmp_path, "items.csv", b"slug\n\xcf\xf0\xe8\xe2\xe5\xf2\n")

    with pytest.raises(DataSourceError, match="not UTF-8"):
        read_records(path, root_key="items")


@pytest.mark.parametrize(
    ("name", "text", "reason"),
    [
        ("items.yaml", "- slug: a\n  title: [unclosed\n", r"items\.yaml: not valid YAML: .*line"),
        ("items.json", '[{"slug": }]', r"not valid JSON: .*line 1"),
        ("items.yaml", "other: []\n", "mapping whose “items” is that list"),
        ("items.yaml", "- slug: a\n- just text\n", "record 2: expected a mapping"),
        ("items.yaml", "", "no records found"),
    ],
    ids=["malformed YAML", "malformed JSON", "no list", "a record not a mapping", "empty"],
)
def test_a_document_without_good_records_is_refused_with_the_reason(tmp_path, name, text, reason):
    path = write(tmp_path, name, text)

    with pytest.raises(DataSourceError, match=reason):
        read_records(path, root_key="items")


def test_a_published_csv_is_recognised_by_its_content_type(file_server):
    url = file_server.serve("/pub?output=csv", "slug\na\n", content_type="text/csv; charset=utf-8")

    assert read_records(url, root_key="items")[0].data == {"slug": "a"}


def test_a_json_url_is_recognised_by_its_extension(file_server):
    url = file_server.serve("/bucket/items.json", '{"items": [{"slug": "a"}]}')

    assert read_records(url, root_key="items")[0].data == {"slug": "a"}


def test_an_http_error_status_is_reported(file_server):
    with pytest.raises(DataSourceError, match="answered HTTP 404"):
        read_records(file_server.url("/gone.csv"), root_key="items")


def test_an_unreachable_url_is_reported():
    url = closed_port_url()

    with pytest.raises(DataSourceError, match=rf"{url}: cannot download"):
        read_records(url, root_key="items")


def test_a_download_announcing_too_many_bytes_is_refused(file_server):
    url = file_server.serve("/big.csv", b"x" * (MAX_BYTES + 1))

    with pytest.raises(DataSourceError, match="larger than the 5 MB limit"):
        read_records(url, root_key="items")


def test_a_download_growing_past_the_limit_is_cut_off(file_server):
    url = file_server.serve("/big.csv", b"x" * (MAX_BYTES + 1), send_length=False)

    with pytest.raises(DataSourceError, match="larger than the 5 MB limit"):
        read_records(url, root_key="items")


@pytest.mark.parametrize(
    ("value", "expected"), [(True, True), ("да", True), ("FALSE", False), (0, False)]
)
def test_yes_and_no_are_understood_in_several_spellings(value, expected):
    assert record(flag=value).boolean("flag", default=None) is expected


def test_an_unclear_yes_or_no_is_refused():
    with pytest.raises(DataSourceError, match="record 1: field “flag” must be yes or no"):
        record(flag="maybe").boolean("flag", default=True)


def test_spreadsheet_numbers_with_spaces_and_a_comma_are_read():
    assert record(price="1\u00a0500,50").decimal("price", default=None) == Decimal("1500.50")


@pytest.mark.parametrize("value", ["abc", "-5", "NaN", True])
def test_a_bad_number_is_refused(value):
    with pytest.raises(DataSourceError, match="“price” must be a number of zero or more"):
        record(price=value).decimal("price", default=None)


def test_a_fraction_is_not_a_whole_number():
    with pytest.raises(DataSourceError, match="“position” must be a whole number"):
        record(position="1.5").integer("position", default=0)


def test_empty_values_fall_back_to_the_default():
    assert record(duration="  ", ratio=None).number("ratio", default=0.3) == 0.3
    assert record(duration="  ").text("duration", default="-") == "-"


def test_a_missing_required_field_is_named():
    with pytest.raises(DataSourceError, match="required field “slug” is missing"):
        record().text("slug", required=True)


def test_a_list_is_not_text():
    with pytest.raises(DataSourceError, match="field “title” must be text"):
        record(title=["a"]).text("title")


def test_an_unknown_field_is_named():
    with pytest.raises(DataSourceError, match=r"unknown field\(s\) titel; expected: slug, title"):
        record(titel="x").check_fields(["slug", "title"])


def test_model_checks_explain_which_field_is_wrong():
    with pytest.raises(DataSourceError, match="record 1: slug: "):
        record().validate(Service(titles={"ru": "A"}, slug="not a slug!"))
