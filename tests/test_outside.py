"""Functions that code the gate does not analyse may invoke (issue 16 item 3): a Lambda permission
for another account (not pinned by SourceAccount/SourceArn) and a Node.js function that names a
Python one make it an untrusted entry; this account's own permission and a pinned one do not."""

from __future__ import annotations

import pytest
from conftest import FIXTURES, flows

from gate.inputs.detect import load_input
from gate.model.build import build_app_model
from gate.scan import scan

APP = FIXTURES / "outside"


def test_outside_invokers_are_entries():
    model = build_app_model(load_input(APP))
    entries = {e.function.split("/")[1]: (e.kind, e.via) for e in model.entry_points}
    assert entries == {
        "PartnerHook": ("ExternalResource", "Lambda permission PartnerInvoke lets account 111122223333 invoke it"),
        "Resizer": ("ExternalResource", "Gateway (code not analysed) names it in RESIZER_FUNCTION"),
    }


@pytest.mark.e2e
def test_their_flows_block():
    assert flows(scan(APP)) == {
        ("code-injection", "PartnerHook", (), "PartnerHook", "os.system", "hooks.py", 5),
        ("code-injection", "Resizer", (), "Resizer", "os.system", "hooks.py", 17),
    }
