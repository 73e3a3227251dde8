"""The ingest job on a two-node Ray cluster: its tasks land on the second node.

Two `ray start` nodes on this machine, each with its own temp dir: a head that takes no work
(`num-cpus 0`, as on KubeRay) and a worker with a custom resource `ingest_node`. The ingest is
configured to ask for that resource (`ray.task_resources`), so every fetch, parse and embed
task can only run on the second node; the test checks the index and, through Ray's state API,
where the tasks ran.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from tests.support.ray_cluster import start_head, start_worker

pytestmark = [pytest.mark.slow, pytest.mark.integration]

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture
def two_nodes():
    head = start_head(num_cpus=0)
    try:
        worker = start_worker(head, num_cpus=2, resources='{"ingest_node": 100}')
    except Exception:
        head.stop()
        raise
    yield head, worker
    worker.stop()
    head.stop()


@pytest.mark.timeout(1500)
def test_ingest_tasks_run_on_the_second_node(two_nodes, tmp_path: Path):
    head, _ = two_nodes
    registry = json.loads((REPO / "matrix" / "data" / "openaffiliate" / "registry.json").read_text())
    registry["programs"] = registry["programs"][:30]
    (tmp_path / "registry.json").write_text(json.dumps(registry))
    (tmp_path / "config.yaml").write_text(yaml.safe_dump({
        "sources": [{"name": "openaffiliate", "kind": "openaffiliate", "path": str(tmp_path / "registry.json")}],
        "ray": {"address": head.address, "task_resources": {"ingest_node": 1}}}))
    env = {k: v for k, v in os.environ.items() if not k.startswith("MATRIX_") and k != "RAY_ADDRESS"}
    env.update({"MATRIX_HOME": str(tmp_path / "home"), "MATRIX_CONFIG": str(tmp_path / "config.yaml"),
                "HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1", "RAY_USAGE_STATS_ENABLED": "0"})
    out = subprocess.run([sys.executable, "-m", "matrix.cli", "ingest", "--json"], cwd=REPO, env=env,
                         capture_output=True, text=True, timeout=1200)
    assert out.returncode == 0, out.stderr[-4000:]
    summary = json.loads(out.stdout[out.stdout.index("{"):])
    assert summary["listings"]["inserted"] == 30

    from ray.util.state import list_actors, list_nodes, list_tasks

    nodes = {n.node_id: n for n in list_nodes(address=head.dashboard_url)}
    worker_ids = {nid for nid, n in nodes.items() if not n.is_head_node}
    assert len(nodes) == 2 and len(worker_ids) == 1
    tasks = [t for t in list_tasks(address=head.dashboard_url, limit=10_000, detail=True)
             if t.state == "FINISHED" and t.type in ("NORMAL_TASK", "ACTOR_TASK", "ACTOR_CREATION_TASK")]
    assert tasks, "no finished tasks recorded"
    actors = {a.actor_id: a for a in list_actors(address=head.dashboard_url, limit=10_000, detail=True)}
    # Ray Data pins its own bookkeeping actors (stats, autoscaling coordinator, actor locations)
    # to the driver's node by design; what must land on the worker is the ingest's own work
    ray_data_internal = {"_StatsActor", "ActorLocationTracker", "_AutoscalingCoordinatorActor"}
    tasks = [t for t in tasks if not (t.actor_id in actors and actors[t.actor_id].class_name in ray_data_internal)]

    def node_of(t) -> str:
        # the state API files an actor's creation task under its owner's node: where the actor lives counts
        return actors[t.actor_id].node_id if t.type == "ACTOR_CREATION_TASK" and t.actor_id in actors else t.node_id

    on_worker = [t for t in tasks if node_of(t) in worker_ids]
    assert len(on_worker) == len(tasks), f"{[t.name for t in tasks if t not in on_worker]} ran on the head"
    names = {t.name for t in on_worker}
    assert any("fetch" in n for n in names), names
    assert any("_parse_page" in n for n in names) and any("_EmbedActor" in n for n in names), names

    from matrix.config import load_settings
    from matrix.index import MasterIndex

    settings = load_settings(overrides={"home": str(tmp_path / "home")})
    assert MasterIndex(settings).stats()["tables"]["programs"]["rows"] >= 28
