"""Every asset module of the chain has the one shape: a stage asset and its blocking
`<asset>_gate`; the environment funnel's module is three stage assets behind one gate."""

from dagster import AssetChecksDefinition, AssetsDefinition, MetadataValue

from assets import ASSET_MODULES, environments
from assets.stage import dagster_metadata
from factory.stages.report import FilePath, Markdown, Metadata, StageReport, Url


def test_each_asset_module_holds_one_asset_and_its_blocking_gate() -> None:
    chain = []
    for module in ASSET_MODULES:
        if module is environments:
            continue
        values = [getattr(module, name) for name in dir(module) if not name.startswith("_")]
        checks = [v for v in values if isinstance(v, AssetChecksDefinition)]
        assets = [v for v in values if isinstance(v, AssetsDefinition) and v not in checks]
        assert len(assets) == 1 and len(checks) == 1, module.__name__
        name = assets[0].key.to_user_string()
        [spec] = checks[0].check_specs
        assert spec.name == f"{name}_gate" and spec.blocking, module.__name__
        assert spec.asset_key == assets[0].key
        chain.append(name)
    assert chain == [
        "prompts",
        "candidates",
        "executions",
        "signals",
        "review_tasks",
        "agreement",
        "sign_off",
        "release_package",
        "published_release",
    ]


def test_the_environment_module_is_three_stage_assets_behind_one_gate() -> None:
    values = [getattr(environments, n) for n in dir(environments) if not n.startswith("_")]
    checks = [v for v in values if isinstance(v, AssetChecksDefinition)]
    assets = [v for v in values if isinstance(v, AssetsDefinition) and v not in checks]
    assert {a.key.to_user_string() for a in assets} == {
        "repository_tasks",
        "environment_images",
        "environment_tasks",
    }
    [gate] = checks
    [spec] = gate.check_specs
    assert (spec.name, spec.asset_key.to_user_string(), spec.blocking) == (
        "environment_tasks_gate",
        "environment_tasks",
        True,
    )


class _Report(StageReport):
    def summary(self) -> str:
        return "done"

    def metadata(self) -> Metadata:
        return {
            "count": 3,
            "table": Markdown("| a |\n|---|"),
            "folder": FilePath("/tmp/x"),  # noqa: S108 (a path shown, never opened)
            "link": Url("http://127.0.0.1/x"),
            "by_kind": {"a": 1},
        }

    def row_count(self) -> int:
        return 7


def test_report_metadata_becomes_dagster_metadata_in_one_place() -> None:
    shown = dagster_metadata(_Report())
    assert shown["count"] == 3
    assert shown["table"] == MetadataValue.md("| a |\n|---|")
    assert shown["folder"] == MetadataValue.path("/tmp/x")  # noqa: S108
    assert shown["link"] == MetadataValue.url("http://127.0.0.1/x")
    assert shown["by_kind"] == MetadataValue.json({"a": 1})
    assert shown["dagster/row_count"] == 7
