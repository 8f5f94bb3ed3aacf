"""The `sign_off` asset: between agreement and packaging, its blocking gate stops what follows
until a senior signs the batch off."""

from dagster import AssetKey, asset
from signoff_builders import reviewed_web_batch, reviewer_id
from sqlalchemy import Engine
from stage_runs import materialize_batch

from assets import ASSET_MODULES, signoff
from assets.packaging import release_package
from assets.partitions import batch_partitions
from assets.signoff import sign_off, sign_off_gate
from factory.signoff.records import sign_off as record_sign_off


@asset(deps=["sign_off"], partitions_def=batch_partitions, group_name="post_review")
def downstream() -> None:
    """Stands in for packaging: must not run when the gate fails."""


def test_the_gate_holds_packaging_until_the_batch_is_signed_off(sqlite_engine: Engine) -> None:
    batch = reviewed_web_batch(sqlite_engine)
    blocked = materialize_batch([sign_off, sign_off_gate, downstream], sqlite_engine, batch)
    assert not blocked.success
    (check,) = blocked.get_asset_check_evaluations()
    assert check.check_name == "sign_off_gate" and not check.passed
    assert not blocked.asset_materializations_for_node("downstream")
    (materialization,) = blocked.asset_materializations_for_node("sign_off")
    assert materialization.metadata["signed_off"].value is False

    record_sign_off(sqlite_engine, batch, reviewer_id(sqlite_engine, "sam"), "checked")
    passed = materialize_batch([sign_off, sign_off_gate, downstream], sqlite_engine, batch)
    assert passed.success and passed.asset_materializations_for_node("downstream")
    (materialization,) = passed.asset_materializations_for_node("sign_off")
    assert materialization.metadata["signed_by"].value == "sam"


def test_sign_off_sits_between_agreement_and_packaging() -> None:
    assert sign_off.group_names_by_key[sign_off.key] == "post_review"
    assert AssetKey("agreement") in sign_off.dependency_keys
    assert AssetKey("sign_off") in release_package.dependency_keys
    names = [module.__name__ for module in ASSET_MODULES]
    assert names.index("assets.agreement") < names.index(signoff.__name__)
    assert names.index(signoff.__name__) < names.index("assets.packaging")
