"""Plain CloudFormation (YAML short-form tags, JSON) and cdk.out cloud assemblies."""

from __future__ import annotations

import json
import shutil

from conftest import FIXTURES, flows

from gate.inputs.detect import load_input
from gate.model.build import build_app_model


def test_plain_cloudformation_yaml(cfn):
    assert flows(cfn) == {("code-injection", "Writer", (("s3", "InboxBucket"),), "Processor", "subprocess.call",
                           "loader.py", 5)}
    writer = cfn.model.functions["cfn/Writer"]
    assert writer.handler_file == "handlers/app.py" and writer.handler_function == "main"
    assert cfn.model.functions["cfn/Processor"].handler_file == "pkg/mod.py"
    assert writer.env["INBOX"].resource == "cfn/InboxBucket"
    assert writer.env["INBOX_ARN"].resource == "cfn/InboxBucket"  # through Fn::Join
    assert [e.kind for e in cfn.model.entry_points] == ["Api"]
    # the .json key fails the trigger's suffix filter
    json_write = next(w for w in cfn.plan.writes if w.key_sym.suffix() == ".json")
    assert json_write.edges == []


def test_json_template_loads_like_yaml(tmp_path, cfn):
    shutil.copytree(FIXTURES / "cfn" / "src", tmp_path / "src")
    (tmp_path / "template.json").write_text(json.dumps(cfn.model.stacks[0].template))
    model = build_app_model(load_input(tmp_path))
    assert sorted(model.functions) == [f"{tmp_path.name}/Processor", f"{tmp_path.name}/Writer"]
    assert [(t.service, t.suffix) for t in model.triggers if not t.details.get("implicit")] == [("s3", ".csv")]


def test_cdk_cloud_assembly(cdkout):
    assert flows(cdkout) == {("code-injection", "CheckoutFnE1F2A3B4", (("s3", "ReceiptsBucket5C8D2C4B"),),
                              "RenderFn9A1B2C3D", "os.system", "index.py", 6)}
    f = cdkout.findings[0]
    # Two index.py files in two assets: each keeps its own identity.
    assert {s.file.parent.name for s in f.steps} == {"asset.1111", "asset.2222"}
    skipped = {fn.logical_id for fn in cdkout.model.skipped_functions()}
    assert skipped == {"WebFn11112222", "BucketNotificationsHandler050a0587b7544547bf325f094a3db8347ECC3691"}
    assert cdkout.model.functions["ShopStack/CheckoutFnE1F2A3B4"].construct_path == "ShopStack/Checkout/Resource"
