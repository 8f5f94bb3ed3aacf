"""The Kubernetes manifests in deploy/k8s, checked without a cluster.

Every document parses and names its kind, apiVersion and metadata; what kustomization.yaml
lists exists; every ConfigMap, Secret, PersistentVolumeClaim and image a pod uses is one the
folder provides or deploy/README.md tells the operator to create; the variable names are the
ones factory.settings reads; the sandbox replicas have no egress and no engine socket; and the
Dagster instance's K8s run launcher config passes dagster-k8s's own schema (when installed).
"""

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from factory import settings
from factory.settings import load_config

K8S = Path(__file__).resolve().parents[2] / "deploy" / "k8s"
NAMESPACE = "code-rlhf-factory"
# Created by the operator (deploy/README.md, "Kubernetes"), never written into a file here.
OPERATOR_SECRET = "factory-secrets"
SECRET_KEYS = {"DAGSTER_PG_URL", settings.DATABASE_URL_ENV, settings.SANDBOX_TOKEN_ENV}
CLUSTER_SCOPED = {"Namespace"}
SANDBOX_URLS_ENV = "FACTORY_SANDBOX_URLS"


def _load(name: str) -> Any:
    return yaml.safe_load((K8S / name).read_text())


@pytest.fixture(scope="module")
def kustomization() -> dict[str, Any]:
    return _load("kustomization.yaml")


@pytest.fixture(scope="module")
def documents(kustomization: dict[str, Any]) -> list[dict[str, Any]]:
    docs: list[dict[str, Any]] = []
    for resource in kustomization["resources"]:
        docs += [doc for doc in yaml.safe_load_all((K8S / resource).read_text()) if doc]
    return docs


def _generated(kustomization: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {entry["name"]: entry for entry in kustomization["configMapGenerator"]}


def _pod_specs(documents: list[dict[str, Any]]) -> Iterator[tuple[str, dict[str, Any]]]:
    for doc in documents:
        if doc["kind"] in {"Deployment", "StatefulSet", "DaemonSet", "Job"}:
            yield doc["metadata"]["name"], doc["spec"]["template"]["spec"]


def _containers(spec: dict[str, Any]) -> list[dict[str, Any]]:
    return [*spec.get("initContainers", []), *spec["containers"]]


def _env_literals(kustomization: dict[str, Any]) -> dict[str, str]:
    literals = _generated(kustomization)["factory-env"]["literals"]
    return dict(item.split("=", 1) for item in literals)


def test_every_manifest_names_its_kind_version_and_namespace(
    documents: list[dict[str, Any]],
) -> None:
    assert documents
    for doc in documents:
        assert doc.get("apiVersion") and doc.get("kind"), doc
        assert doc["metadata"].get("name"), doc
        if doc["kind"] not in CLUSTER_SCOPED:
            assert doc["metadata"].get("namespace") == NAMESPACE, doc["metadata"]


def test_the_kustomization_lists_only_files_that_exist(kustomization: dict[str, Any]) -> None:
    assert kustomization["kind"] == "Kustomization"
    for resource in kustomization["resources"]:
        assert (K8S / resource).is_file(), resource
    for entry in kustomization["configMapGenerator"]:
        for item in entry.get("files", []):
            assert (K8S / item.split("=", 1)[-1]).is_file(), item
    # The run launcher mounts the ConfigMaps by name: no hash suffix may rename them.
    assert kustomization["generatorOptions"]["disableNameSuffixHash"] is True


def test_no_secret_value_is_written_into_the_folder(documents: list[dict[str, Any]]) -> None:
    assert not [doc for doc in documents if doc["kind"] == "Secret"]
    text = "".join(path.read_text() for path in K8S.iterdir())
    assert "postgresql+psycopg2://" not in text.replace("postgresql+psycopg2://user:password", "")


def test_pods_use_only_what_the_folder_or_the_operator_provides(
    documents: list[dict[str, Any]], kustomization: dict[str, Any]
) -> None:
    config_maps = set(_generated(kustomization))
    claims = {
        doc["metadata"]["name"] for doc in documents if doc["kind"] == "PersistentVolumeClaim"
    }
    accounts = {doc["metadata"]["name"] for doc in documents if doc["kind"] == "ServiceAccount"}
    images = {entry["name"] for entry in kustomization["images"]}
    for name, spec in _pod_specs(documents):
        for volume in spec.get("volumes", []):
            if "configMap" in volume:
                assert volume["configMap"]["name"] in config_maps, (name, volume)
            if "persistentVolumeClaim" in volume:
                assert volume["persistentVolumeClaim"]["claimName"] in claims, (name, volume)
            assert "hostPath" not in volume, (name, volume)  # no engine socket, no host folder
        mounted = {volume["name"] for volume in spec.get("volumes", [])}
        if "serviceAccountName" in spec:
            assert spec["serviceAccountName"] in accounts, name
        for container in _containers(spec):
            assert container["image"] in images, (name, container["image"])
            for mount in container.get("volumeMounts", []):
                assert mount["name"] in mounted, (name, mount)
            for source in container.get("envFrom", []):
                if "configMapRef" in source:
                    assert source["configMapRef"]["name"] in config_maps, name
                else:
                    assert source["secretRef"]["name"] == OPERATOR_SECRET, name
            for variable in container.get("env", []):
                ref = variable.get("valueFrom", {}).get("secretKeyRef")
                if ref:
                    assert ref["name"] == OPERATOR_SECRET, (name, ref)
                    assert ref["key"] in SECRET_KEYS, (name, ref)


def test_runs_are_told_to_judge_through_the_service(kustomization: dict[str, Any]) -> None:
    env = _env_literals(kustomization)
    assert env[settings.SANDBOX_BACKEND_ENV] == "service"
    assert env[settings.CONFIG_ENV] == "/etc/factory/factory.yaml"
    assert env[settings.HOME_ENV] == "/srv/factory"
    (url,) = env[SANDBOX_URLS_ENV].split(",")
    assert url == f"http://factory-sandbox.{NAMESPACE}.svc:8080"
    # Secrets stay out of the ConfigMap: they come from the operator's Secret.
    assert not SECRET_KEYS & env.keys()
    load_config(K8S / "factory.yaml")  # the cluster's settings are a valid configuration


def test_sandbox_replicas_serve_with_the_token_and_no_egress(
    documents: list[dict[str, Any]],
) -> None:
    by_kind = {(doc["kind"], doc["metadata"]["name"]): doc for doc in documents}
    deployment = by_kind[("Deployment", "factory-sandbox")]
    assert deployment["spec"]["replicas"] >= 2
    labels = deployment["spec"]["template"]["metadata"]["labels"]
    spec = deployment["spec"]["template"]["spec"]
    (service,) = spec["containers"]
    command = service["command"]
    assert command[:3] == ["factory", "sandbox", "serve"]
    assert "--host=0.0.0.0" in command and "--port=8080" in command
    assert "--no-auth" not in command
    env = {variable["name"]: variable for variable in service["env"]}
    token = env[settings.SANDBOX_TOKEN_ENV]["valueFrom"]["secretKeyRef"]
    assert token == {"name": OPERATOR_SECRET, "key": settings.SANDBOX_TOKEN_ENV}
    # bwrap reads its root filesystem at <FACTORY_SANDBOX_CACHE>/current/rootfs (factory.sandbox
    # .image.default_rootfs); the init container fills exactly that folder.
    cache = env[settings.SANDBOX_CACHE_ENV]["value"]
    (init,) = spec["initContainers"]
    assert f"{cache}/current/rootfs" in " ".join(init["command"])
    assert "--backend=bwrap" in command

    selector = by_kind[("Service", "factory-sandbox")]["spec"]["selector"]
    assert selector.items() <= labels.items()
    policy = by_kind[("NetworkPolicy", "factory-sandbox")]["spec"]
    assert policy["podSelector"]["matchLabels"].items() <= labels.items()
    assert "Egress" in policy["policyTypes"] and policy["egress"] == []
    (ingress,) = policy["ingress"]
    assert [port["port"] for port in ingress["ports"]] == [8080]


def test_run_pods_may_reach_the_sandbox_replicas(documents: list[dict[str, Any]]) -> None:
    """The NetworkPolicy admits pods by label: the launcher's run pods and the code location
    must carry it."""
    (policy,) = [doc for doc in documents if doc["kind"] == "NetworkPolicy"]
    admitted = policy["spec"]["ingress"][0]["from"][0]["podSelector"]["matchLabels"]
    launcher = _load("dagster-instance.yaml")["run_launcher"]["config"]
    assert admitted.items() <= launcher["labels"].items()
    by_name = dict(_pod_specs(documents))
    assert "factory-code" in by_name
    code = next(doc for doc in documents if doc["metadata"]["name"] == "factory-code")
    assert admitted.items() <= code["spec"]["template"]["metadata"]["labels"].items()


def test_the_instance_uses_the_k8s_launcher_with_the_generated_maps(
    kustomization: dict[str, Any],
) -> None:
    instance = _load("dagster-instance.yaml")
    generated = _generated(kustomization)
    assert generated["dagster-instance"]["files"] == ["dagster.yaml=dagster-instance.yaml"]
    assert instance["storage"]["postgres"]["postgres_url"] == {"env": "DAGSTER_PG_URL"}
    launcher = instance["run_launcher"]
    assert (launcher["module"], launcher["class"]) == ("dagster_k8s", "K8sRunLauncher")
    config = launcher["config"]
    assert config["instance_config_map"] == "dagster-instance"
    assert config["env_secrets"] == [OPERATOR_SECRET]
    assert set(config["env_config_maps"]) <= set(generated)
    assert config["job_namespace"] == NAMESPACE
    assert config["job_image"] == {"env": "FACTORY_RUN_IMAGE"}
    assert "FACTORY_RUN_IMAGE" in _env_literals(kustomization)
    maps = {volume["configMap"]["name"] for volume in config["volumes"] if "configMap" in volume}
    assert maps <= set(generated)


def test_the_launcher_config_passes_dagster_k8s_schema(monkeypatch: pytest.MonkeyPatch) -> None:
    dagster_k8s = pytest.importorskip("dagster_k8s")
    from dagster._config import process_config, validate_config
    from dagster._core.instance.config import dagster_instance_config_schema

    instance = _load("dagster-instance.yaml")
    assert validate_config(dagster_instance_config_schema(), instance).success
    monkeypatch.setenv("FACTORY_RUN_IMAGE", "registry.example.com/code-rlhf-factory-run:tag")
    result = process_config(
        dagster_k8s.K8sRunLauncher.config_type(), instance["run_launcher"]["config"]
    )
    assert result.success, result.errors
