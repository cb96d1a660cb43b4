"""The per-contact call limit: N calls per sliding window, one warning per refusal streak."""

from assistant.flood import CallLimiter


class FakeClock:
    """A monotonic clock the test moves by hand."""

    def __init__(self):
        self.now = 1000.0

    def __call__(self):
        return self.now

    def advance(self, seconds):
        self.now += seconds


def limiter(max_calls=2, window_seconds=60):
    clock = FakeClock()
    return CallLimiter(max_calls, window_seconds, clock=clock), clock


def test_calls_up_to_the_limit_are_allowed():
    calls, _clock = limiter(max_calls=3)
    assert [calls.allow("anna") for _ in range(3)] == [(True, False)] * 3


def test_a_call_over_the_limit_is_refused_with_a_warning():
    calls, _clock = limiter(max_calls=2)
    calls.allow("anna")
    calls.allow("anna")
    assert calls.allow("anna") == (False, True)


def test_only_the_first_refusal_in_a_window_warns():
    calls, clock = limiter(max_calls=1)
    calls.allow("anna")
    calls.allow("anna")
    clock.advance(30)
    assert calls.allow("anna") == (False, False)


def test_each_key_has_its_own_limit():
    calls, _clock = limiter(max_calls=1)
    calls.allow("anna")
    assert calls.allow("boris") == (True, False)


def test_a_call_is_allowed_again_once_the_oldest_leaves_the_window():
    calls, clock = limiter(max_calls=2, window_seconds=60)
    calls.allow("anna")
    clock.advance(30)
    calls.allow("anna")
    clock.advance(30)
    assert calls.allow("anna") == (True, False)


def test_the_window_slides_rather_than_resetting_all_at_once():
    calls, clock = limiter(max_calls=2, window_seconds=60)
    calls.allow("anna")
    clock.advance(30)
    calls.allow("anna")
    clock.advance(30)
    calls.allow("anna")
    clock.advance(1)
    assert calls.allow("anna") == (False, True)


def test_refused_calls_do_not_extend_the_wait():
    calls, clock = limiter(max_calls=1, window_seconds=60)
    calls.allow("anna")
    for _ in range(5):
        clock.advance(10)
        calls.allow("anna")
    clock.advance(10)
    assert calls.allow("anna") == (True, False)


def test_a_new_refusal_streak_after_the_window_warns_again():
    calls, clock = limiter(max_calls=1, window_seconds=60)
    calls.allow("anna")
    calls.allow("anna")
    clock.advance(60)
    calls.allow("anna")
    assert calls.allow("anna") == (False, True)


def test_a_sender_is_forgotten_once_their_window_has_passed():
    calls, clock = limiter(max_calls=1, window_seconds=60)
    for sender in range(5000):
        calls.allow(sender)
        clock.advance(1)
    assert calls.tracked_keys() <= 2 * 60 + 1024


def test_a_refused_sender_is_remembered_until_the_warning_expires():
    calls, clock = limiter(max_calls=1, window_seconds=60)
    calls.allow("anna")
    calls.allow("anna")
    clock.advance(59)
    assert calls.allow("anna") == (False, False)


def test_a_forgotten_key_starts_afresh():
    calls, clock = limiter(max_calls=1, window_seconds=60)
    calls.allow("anna")
    clock.advance(60)
    assert calls.allow("anna") == (True, False)


def test_a_limit_of_zero_refuses_everyone_and_warns_once():
    calls, _clock = limiter(max_calls=0, window_seconds=60)
    assert calls.allow("anna") == (False, True)
    assert calls.allow("anna") == (False, False)


def test_the_real_monotonic_clock_is_used_by_default():
    calls = CallLimiter(1, 60)
    assert calls.allow("anna") == (True, False)
    assert calls.allow("anna") == (False, True)
