"""The book's one rule for calling a difference a finding (lib.report.verdict)."""
import pytest

from lib.report.verdict import compare


def test_a_gap_is_a_finding_until_the_seed_spread_grows_past_it():
    tight = compare([0.70, 0.71, 0.72], [0.60, 0.61, 0.62])
    assert tight.finding and tight.difference == pytest.approx(0.10) and tight.words().startswith("a finding")
    wide = compare([0.50, 0.71, 0.92], [0.40, 0.61, 0.82])  # the same means, the spread widened
    assert wide.difference == pytest.approx(0.10) and not wide.finding
    assert wide.words().startswith("within the seed spread") and "n = 3 and 3" in wide.words()
    assert (tight.short(), wide.short(), compare([0.5], [0.4, 0.5]).short()) == ("finding", "within spread", "n = 1")


def test_one_seed_claims_nothing_and_no_spread_decides_by_the_means():
    single = compare([0.9], [0.1, 0.2])
    assert single.p is None and not single.finding and single.words() == "n = 1: no claim"
    assert compare([0.5, 0.5], [0.4, 0.4]).finding and not compare([0.5, 0.5], [0.5, 0.5]).finding
    with pytest.raises(ValueError, match="a side without values"):
        compare([], [0.5])
