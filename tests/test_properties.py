"""Property-based tests (hypothesis): random bytes, random settings, random generate arguments.

Each property either succeeds or fails with one clear line and exit 2, never a traceback,
another exit status or a half-written file. Bounded to a few seconds each.
"""

from __future__ import annotations

import dataclasses

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from lstmlab.models.settings import SettingsError
from lstmlab.pipeline.cli import main
from lstmlab.pipeline.config import ConfigError, PipelineConfig, load_config

BOUNDED = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])


@pytest.fixture(scope="module")
def sample_text(rulinwaishi_text) -> str:
    return rulinwaishi_text[:3000]


@BOUNDED
@given(data=st.binary(min_size=0, max_size=3000))
def test_random_bytes_decode_cleanly_or_exit_2_with_no_output(tmp_path_factory, data):
    folder = tmp_path_factory.mktemp("bytes")
    source, out = folder / "in.txt", folder / "out.txt"
    source.write_bytes(data)
    status = main(["-q", "fix-encoding", str(source), "-o", str(out)])
    assert status in (0, 2)
    if status == 2:
        assert sorted(p.name for p in folder.iterdir()) == ["in.txt"]
    else:
        text = out.read_bytes().decode("utf-8")  # always valid UTF-8
        assert "\r" not in text and not text.startswith("\ufeff")


@BOUNDED
@given(codec=st.sampled_from(["gb18030", "big5hkscs", "utf-16", "utf-8-sig"]),
       flips=st.lists(st.tuples(st.integers(0, 10_000), st.integers(0, 255)), max_size=4))
def test_mutated_real_files_round_trip_or_exit_2(tmp_path_factory, sample_text, codec, flips):
    text = sample_text if codec != "big5hkscs" else sample_text.encode("big5hkscs", "ignore").decode("big5hkscs")
    data = bytearray(text.replace("\n", "\r\n").encode(codec))
    for position, value in flips:
        data[position % len(data)] = value
    folder = tmp_path_factory.mktemp("mutated")
    source, out = folder / "in.txt", folder / "out.txt"
    source.write_bytes(bytes(data))
    status = main(["-q", "fix-encoding", str(source), "-o", str(out)])
    assert status in (0, 2)
    if not flips or all(data[p % len(data)] == text.replace("\n", "\r\n").encode(codec)[p % len(data)]
                        for p, _ in flips):
        assert status == 0 and out.read_text(encoding="utf-8") == text  # unchanged bytes: exact round trip
    if status == 2:
        assert not out.exists()


NUMERIC = [(section.name, field.name, field.type) for section in dataclasses.fields(PipelineConfig)
           for field in dataclasses.fields(section.type if not isinstance(section.type, str)
                                           else type(getattr(PipelineConfig(), section.name)))
           if field.type in ("int", "float")]


@BOUNDED
@given(choice=st.sampled_from(NUMERIC), integer=st.integers(-10**12, 10**12),
       real=st.floats(allow_nan=True, allow_infinity=True))
def test_random_numeric_settings_give_a_clear_error_or_a_valid_config(choice, integer, real):
    section, key, kind = choice
    value = integer if kind == "int" else real
    try:
        config = load_config(overrides=[f"{section.replace('_', '-')}.{key}={value!r}"])
    except (SettingsError, ConfigError) as error:
        assert key in str(error)
        return
    assert getattr(getattr(config, section), key) == value and abs(value) < float("inf")
