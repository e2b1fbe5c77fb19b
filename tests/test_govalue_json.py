"""toJson of a string (charts.gotemplate.govalue.to_json) takes json's C encoder without the json package: the text
json.dumps(text, ensure_ascii=False) gives, then Go's HTML-safe escapes, for any string."""

from __future__ import annotations

import json

from hypothesis import example, given, settings
from hypothesis import strategies as st

from k8s_migrate.charts.gotemplate.govalue import to_json

from helpers import examples


@settings(max_examples=examples(3000), deadline=None)
@given(st.text())
@example('a "quoted" \\ back\nslash\t<tag> & \u2028\u2029\x00\x1f\x7f é 中 \U0001f600')
@example("\ud800 lone surrogate")
def test_a_string_is_json_dumps_text_with_go_escapes(text):
    expected = json.dumps(text, ensure_ascii=False).replace("<", "\\u003c").replace(">", "\\u003e") \
        .replace("&", "\\u0026").replace("\u2028", "\\u2028").replace("\u2029", "\\u2029")
    assert to_json(text) == expected
    assert to_json([text, {"k": text}]) == f"[{expected},{{\"k\":{expected}}}]"
