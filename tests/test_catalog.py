"""Every code pcocheck can emit is documented once; no code is used undocumented."""

from __future__ import annotations

import re
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from pcocheck.catalog import CODE_PATTERN, catalog

SRC = Path(__file__).resolve().parent.parent / "src" / "pcocheck"
LITERAL = re.compile(r'"((?:FHIR|PCO|SRV|TX)-[A-Z]+(?:-[A-Z]+)?-\d{3})"')


def test_catalog_loads_and_every_entry_is_documented() -> None:
    specs = catalog()
    assert specs
    for spec in specs.values():
        assert CODE_PATTERN.match(spec.code)
        for text in (spec.summary, spec.what, spec.why, spec.example, spec.fix):
            assert text.strip(), spec.code
        assert "\n" not in spec.summary, f"{spec.code}: summary must be one line"


def test_every_code_used_in_the_source_is_in_the_catalog() -> None:
    used: dict[str, str] = {}
    for path in SRC.rglob("*.py"):
        for code in LITERAL.findall(path.read_text(encoding="utf-8")):
            used.setdefault(code, str(path.relative_to(SRC)))
    missing = {code: where for code, where in used.items() if code not in catalog()}
    assert not missing, f"codes used but not documented: {missing}"


# -- the family files are read without tomllib when they have the catalog's plain shape --
def test_every_family_file_is_read_the_plain_way_as_tomllib_reads_it() -> None:
    import tomllib

    from pcocheck.catalog import _files, plain_toml
    from pcocheck.shipped import read_shipped

    for name in _files():
        text = read_shipped("pcocheck.catalog", name).decode("utf-8")
        plain = plain_toml(text)
        assert plain is not None, name  # the fast way is really taken
        assert plain == tomllib.loads(text), name


_KEY = st.text(alphabet="abcXYZ019_-", min_size=1, max_size=6)
_VALUE = st.one_of(
    st.text(alphabet="ab \"'\\#é€\U0001f600nu", max_size=12),
    st.text(alphabet="ab \"'\\#\t\x01\x7fé", max_size=4),
)


@st.composite
def _documents(draw: st.DrawFn) -> str:
    lines = []
    for number in range(draw(st.integers(0, 4))):
        odd_table = draw(st.integers(0, 9)) == 0  # a name that must be quoted, a repeat
        lines.append(f"[{draw(_VALUE)}]" if odd_table else f"[T{number}{draw(_KEY)}]")
        for place in range(draw(st.integers(0, 3))):
            key = draw(_KEY) if draw(st.integers(0, 9)) == 0 else f"k{place}{draw(_KEY)}"
            value = draw(_VALUE)
            quoting = draw(st.sampled_from(["basic"] * 4 + ["literal", "raw", "escaped"]))
            if quoting == "basic":
                shown = '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'
            elif quoting == "literal":
                shown = f"'{value}'"
            elif quoting == "escaped":
                shown = '"' + value.encode("unicode_escape").decode("ascii") + '"'
            else:
                shown = value
            comment = draw(st.sampled_from(["", "  # note", " #", "# tight", "\t# tab"]))
            lines.append(f"{key} = {shown}{comment}")
        lines.append(draw(st.sampled_from(["", "", "# a comment", " ", "", "# x", "#\x01"])))
    return draw(st.sampled_from(["\n"] * 5 + ["\r\n"])).join(lines)


@settings(max_examples=1500, deadline=None)
@given(text=_documents())
def test_the_plain_reading_is_tomllibs_or_none(text: str) -> None:
    import tomllib

    from pcocheck.catalog import plain_toml

    plain = plain_toml(text)
    try:
        expected = tomllib.loads(text)
    except tomllib.TOMLDecodeError:
        assert plain is None
        return
    if plain is not None:
        assert plain == expected
