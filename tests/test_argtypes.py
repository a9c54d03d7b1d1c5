"""Argument types shared by the commands (ssrsim.argtypes)."""

import argparse

import pytest

from ssrsim.argtypes import positive, whole


def test_whole_numbers_within_their_range_pass():
    assert whole(1)("7") == 7
    assert whole(0, 65535)("0") == 0 and whole(0, 65535)("65535") == 65535


@pytest.mark.parametrize(("parse", "text", "message"), [
    (whole(1), "0", "must be at least 1, got 0"),
    (whole(0, 65535), "65536", "must be from 0 to 65535, got 65536"),
    (whole(0, 65535), "-1", "must be from 0 to 65535, got -1"),
    (whole(1), "2.5", "expected a whole number, got '2.5'"),
    (positive, "0", "must be a finite number above 0, got 0"),
    (positive, "inf", "must be a finite number above 0, got inf"),
    (positive, "x", "expected a number, got 'x'"),
])
def test_bad_values_say_what_is_allowed(parse, text, message):
    with pytest.raises(argparse.ArgumentTypeError, match=message.replace(".", r"\.")):
        parse(text)
