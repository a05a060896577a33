"""The list pages' filter forms come from the lists' declarations
(janus.lists): every filter with a label is an input or select named after
it, labelled with it, filled in again with the value sent; the page's own
inputs (a search box, the time window) are the only others."""
from __future__ import annotations

from urllib.parse import urlencode

import pytest

from janus.lists.images import IMAGES
from janus.lists.records import SECURITY_EVENTS, TIMELINE
from janus.lists.users import USERS

# page -> (its declaration, the form's inputs of its own, one value per declared filter)
PAGES = {
    "/console/users": (USERS, {"q", "admin_level"}, {"role": "admin", "is_active": "false"}),
    "/console/audit": (TIMELINE, {"since", "until", "limit"},
                       {"user_id": "7", "action": "user.updated", "module": "user",
                        "object_type": "image", "object_id": "3", "source": "client"}),
    "/console/security": (SECURITY_EVENTS, {"since", "until", "limit"},
                          {"user_id": "7", "action": "lockout", "account": "x@example.com",
                           "ip": "192.0.2.1", "source": "service"}),
    "/console/images": (IMAGES, {"owner", "since", "until", "limit"},
                        {"format": "PNG", "color_type": "RGB", "min_width": "2",
                         "min_height": "3", "max_width": "4"}),
}


def _fields(form) -> dict:
    return {field["name"]: field for field in form.select("input[name], select[name]")}


def _value(field) -> str:
    if field.name == "select":
        chosen = field.select_one("option[selected]")
        return chosen["value"] if chosen else ""
    return field.get("value", "")


@pytest.mark.parametrize("path", list(PAGES))
def test_the_filter_form_is_the_declaration(as_superadmin, path):
    listing, own, sent = PAGES[path]
    declared = listing.form()
    assert {f.name for f in declared} == set(sent)  # the test covers each of them
    res = as_superadmin.get(f"{path}?{urlencode(sent)}")
    assert res.status_int == 200, res.text
    form = res.html.select_one("form.filters")
    fields = _fields(form)
    assert set(fields) == {f.name for f in declared} | own
    for f in declared:
        field = fields[f.name]
        label = form.select_one(f'label[for="{field["id"]}"]')
        assert label.get_text(" ", strip=True).startswith(f.label)
        assert _value(field) == sent[f.name]
