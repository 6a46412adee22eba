"""Resource names completed at deploy time (issue 16 item 1), without Pysa: a literal equal to a
parameter's default names the resource; a literal a parameter or the account/region may complete is
a "maybe" (the edge is kept at lower confidence, never pruned as certain); an env var set to the
parameter names the resource; a literal no name can be stays unmatched."""

from __future__ import annotations

from conftest import FIXTURES

from gate.inputs.detect import load_input
from gate.model.build import build_app_model
from gate.plan.build import build_plan

APP = FIXTURES / "params"


def _edges():
    model = build_app_model(load_input(APP))
    plan = build_plan(model)
    return model, {(w.line, tuple(sorted((e.trigger.source.split("/")[1], e.confidence) for e in w.edges)))
                   for w in plan.writes}


def test_names_set_by_parameters_and_pseudo_parameters():
    model, edges = _edges()
    assert model.resources["params/Orders"].physical_names == ("${TableName}", "orders")
    assert model.resources["params/Uploads"].name_patterns == (r"uploads\-[0-9]{12}\-[a-z]{2}(-[a-z]+)+-[0-9]",)
    assert edges == {
        (11, (("Orders", "resolved"),)),                            # 'orders' is TableName's default
        (12, (("Orders", "unresolved"), ("Other", "unresolved"))),  # 'archive' may be either at deploy time
        (13, (("Uploads", "unresolved"),)),                         # the account and region complete it
        (14, ()),                                                   # no name can be 'downloads-...'
        (18, (("Orders", "resolved"),)),                            # env TABLE: !Ref TableName
    }
    assert model.functions["params/Api"].env["TABLE"].resource == "params/Orders"
