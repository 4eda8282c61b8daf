"""The shared output and argument helpers (pure functions, no B2 needed)."""

from __future__ import annotations

import argparse
import json

import pytest

from django_b2.management.arguments import key_value, non_negative_float, positive_int
from django_b2.management.output import (
    dumps_json,
    format_fields,
    format_size,
    format_table,
    format_timestamp,
)


def test_table_pads_columns_and_right_aligns_numbers() -> None:
    text = format_table(
        ["NAME", "SIZE"], [["a", 5], ["longer-name", 12345], ["none", None]], right={1}
    )
    assert text.splitlines() == [
        "NAME          SIZE",
        "a                5",
        "longer-name  12345",
        "none             -",
    ]


def test_table_rejects_ragged_rows() -> None:
    with pytest.raises(ValueError, match="row has 1 cells for 2 headers"):
        format_table(["A", "B"], [["only one"]])


def test_fields_line_up_values() -> None:
    assert format_fields([("id", "x"), ("capabilities", ["a", "b"]), ("info", {"k": "v"})]) == (
        "id:           x\ncapabilities: a, b\ninfo:         k=v"
    )


def test_json_handles_mappings_and_tuples() -> None:
    class Headers(dict[str, str]):
        pass

    data = {"b": (1, 2), "a": Headers(x="y"), "name": "café"}
    text = dumps_json(data)
    assert json.loads(text) == {"a": {"x": "y"}, "b": [1, 2], "name": "café"}
    assert text.index('"a"') < text.index('"b"')  # sorted keys
    assert "café" in text


def test_timestamps_and_sizes() -> None:
    assert format_timestamp(0) == "-"
    assert format_timestamp(1_700_000_000_000) == "2023-11-14 22:13:20"
    assert format_size(999) == "999 B"
    assert format_size(1536) == "1.5 KiB"
    assert format_size(5 * 1024**3) == "5.0 GiB"


def test_argument_types() -> None:
    assert key_value("Cache-Control=max-age=60") == ("Cache-Control", "max-age=60")
    assert key_value("empty=") == ("empty", "")
    with pytest.raises(argparse.ArgumentTypeError):
        key_value("=value")
    assert positive_int("3") == 3
    with pytest.raises(argparse.ArgumentTypeError, match="whole number"):
        positive_int("3.5")
    assert non_negative_float("0") == 0.0
    for bad in ("nan", "inf", "-0.1"):
        with pytest.raises(argparse.ArgumentTypeError):
            non_negative_float(bad)
