"""Latency buckets: a percentile read from them is within the precision the page states."""

from analytics.latency import PRECISION_PERCENT, bucket_middle, bucket_of, percentile


def test_every_latency_reads_back_within_the_stated_precision():
    for milliseconds in (*range(0, 20_000), *range(20_000, 2_000_000, 997)):
        read = bucket_middle(bucket_of(milliseconds))
        assert abs(read - milliseconds) <= max(1, milliseconds * PRECISION_PERCENT / 100)


def test_latencies_under_25_ms_read_back_exactly():
    assert [bucket_middle(bucket_of(ms)) for ms in range(25)] == list(range(25))


def test_percentiles_take_the_nearest_rank():
    histogram = [(bucket_of(100), 5), (bucket_of(1000), 4), (bucket_of(9000), 1)]

    assert [percentile(histogram, p) for p in (50, 90, 99)] == [
        bucket_middle(bucket_of(100)),
        bucket_middle(bucket_of(1000)),
        bucket_middle(bucket_of(9000)),
    ]


def test_no_replies_have_no_percentile():
    assert percentile([], 50) is None
