"""Loops and shared code (issue 16, items 4 and 5), end to end with the real Pysa: a function that
writes back to its own trigger and invokes itself is one finding, not one per trip around the loop;
two exposed functions built from the same handler are both named, and a suppression covers only
the one it names."""

from __future__ import annotations

from dataclasses import replace

import pytest
from conftest import FIXTURES, flows

from gate.policy.load import default_policy
from gate.policy.types import Suppression
from gate.scan import scan
from gate.verdict.triage import triage

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def loops():
    return scan(FIXTURES / "loops")


def test_one_finding_per_entry_and_sink_with_the_shortest_chain(loops):
    assert flows(loops) == {
        ("code-injection", "IntakeFunction", (("s3", "Work"),), "LoopFunction", "subprocess.run", "app.py", 15),
        ("code-injection", "PublicAFunction", (), "PublicAFunction", "os.system", "app.py", 5),
        ("code-injection", "PublicBFunction", (), "PublicBFunction", "os.system", "app.py", 5),
    }
    looped = next(f for f in loops.findings if f.sink_callable == "subprocess.run")
    hops = [(h.resource, h.to_function) for h in looped.hops]
    assert len(hops) == len(set(hops)) == 1
    assert looped.other_paths > 0 and any("other path(s) from the same entry" in n for n in looped.notes)


def test_shared_handler_names_every_exposed_function(loops):
    shared = [f for f in loops.findings if f.sink_callable == "os.system"]
    assert sorted(loops.model.entry_kinds(f.source_function)[0] for f in shared) == ["FunctionUrl", "HttpApi"]
    assert {f.source.function.split("/")[1] for f in shared} == {"PublicAFunction", "PublicBFunction"}
    assert len({f.fingerprint for f in shared}) == 2


def test_a_suppression_covers_only_the_function_it_names(loops):
    policy = default_policy()
    policy = replace(policy, suppressions=[Suppression("code-injection", "A is internal-only (SEC-1)",
                                                       function="PublicAFunction")])
    findings = [replace(f, notes=list(f.notes)) for f in loops.findings]
    triage(findings, loops.model, policy)
    by_function = {f.source_function.split("/")[1]: f for f in findings if f.sink_callable == "os.system"}
    assert by_function["PublicAFunction"].suppressed_by is not None and not by_function["PublicAFunction"].blocking
    assert by_function["PublicBFunction"].suppressed_by is None and by_function["PublicBFunction"].blocking
