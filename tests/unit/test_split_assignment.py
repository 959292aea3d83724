"""Assignment to arms: deterministic, sticky and uniform (chi-square over 100,000 member ids)."""

from __future__ import annotations

from collections import Counter

import pytest
from scipy.stats import chisquare, kstest

from engine.ab.assign import assign, in_global_holdout, pick, unit_interval

IDS = [f"M{n:06d}" for n in range(100_000)]


@pytest.mark.parametrize("weights", [[1, 1], [3, 1], [0.2, 0.3, 0.5], [1, 1, 1, 1]])
def test_arms_fill_in_proportion_to_their_weights(weights: list[float]) -> None:
    counts = Counter(assign("winback", "offer", member, weights)[1] for member in IDS)
    observed = [counts[i] for i in range(len(weights))]
    expected = [w / sum(weights) * len(IDS) for w in weights]

    assert sum(observed) == len(IDS)
    assert chisquare(observed, expected).pvalue > 1e-4  # a fixed sample: 1 in 10,000 uniform hashes fails this
    # and the check has teeth: the same counts against the wrong weights fail it
    assert chisquare(observed, [len(IDS) / len(weights)] * len(weights)).pvalue < 1e-4 or len(set(weights)) == 1


def test_across_journeys_the_split_p_values_are_themselves_uniform() -> None:
    p_values = []
    for journey in [f"journey-{n}" for n in range(12)]:
        counts = Counter(assign(journey, "offer", member, [1, 1])[1] for member in IDS[:50_000])
        p_values.append(chisquare([counts[0], counts[1]]).pvalue)
    assert kstest(p_values, "uniform").pvalue > 0.001


def test_the_hash_is_uniform_over_ten_bins() -> None:
    counts = Counter(int(unit_interval("j", "b", member) * 10) for member in IDS)
    assert chisquare([counts[i] for i in range(10)]).pvalue > 1e-4


def test_assignment_is_sticky_and_differs_per_journey_and_block() -> None:
    first = [assign("winback", "offer", m, [1, 1]) for m in IDS[:2000]]
    again = [assign("winback", "offer", m, [1, 1]) for m in IDS[:2000]]
    other_block = [assign("winback", "offer2", m, [1, 1]) for m in IDS[:2000]]
    other_journey = [assign("birthday", "offer", m, [1, 1]) for m in IDS[:2000]]

    assert first == again
    # independent hashes: about half the members change arm when the block or the journey changes
    assert 900 < sum(a != b for a, b in zip(first, other_block, strict=True)) < 1100
    assert 900 < sum(a != b for a, b in zip(first, other_journey, strict=True)) < 1100


def test_test_fraction_sends_that_share_to_the_arms_and_holds_the_rest() -> None:
    groups = [assign("j", "b", m, [1, 1], test_fraction=0.2) for m in IDS]
    tested = [arm for group, arm in groups if group == "test"]

    assert all(arm is None for group, arm in groups if group == "rest")
    assert 19_500 < len(tested) < 20_500
    assert chisquare([tested.count(0), tested.count(1)]).pvalue > 1e-4


def test_pick_maps_edges_to_arms() -> None:
    assert [pick(p, [1, 3]) for p in (0.0, 0.2499, 0.25, 0.9999)] == [0, 0, 1, 1]


def test_the_global_holdout_takes_its_percentage() -> None:
    held = sum(in_global_holdout(m, 5) for m in IDS)
    assert 4_700 < held < 5_300
    assert not any(in_global_holdout(m, 0) for m in IDS[:1000])
