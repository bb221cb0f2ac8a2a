"""Names compared as hospitals write them; record numbers exactly."""

import pytest

from labtrack.identity.rules.names import carries_name, name_words, same_record_number


@pytest.mark.parametrize("tube", [
    "LOPEZ GARCIA, CARMEN", "López García, Carmen", "lopez-garcia carmen",
    "LÓPEZ GARCÍA, CARMEN", "López\u00a0García, C.", "LO\u0301PEZ GARCI\u0301A, Carmen",
])
def test_the_same_family_name_written_another_way_matches(tube):
    assert carries_name(tube, "LÓPEZ GARCÍA")


@pytest.mark.parametrize("tube", ["GARCIA LOPEZ, CARMEN", "LOPEZ GARCIAS, CARMEN",
                                  "LOPE GARCIA", "", "CARMEN"])
def test_a_different_name_does_not(tube):
    assert not carries_name(tube, "LÓPEZ GARCÍA")


def test_words_lose_accents_case_and_punctuation():
    assert name_words("Núñez-O'Connor, Íñigo") == ["nunez", "o", "connor", "inigo"]


def test_record_numbers_are_compared_exactly():
    assert same_record_number(" HC100845 ", "HC100845")
    assert not same_record_number("HC100846", "HC100845")
    assert same_record_number("hc100845", "HC100845")  # stored in capitals
    assert not same_record_number("HC-100845", "HC100845")
    assert not same_record_number("HC1008450", "HC100845")
