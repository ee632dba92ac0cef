"""Cluster resolvers: who the workers of a cluster are, and which one this process is.

``TFConfigClusterResolver`` reads the ``TF_CONFIG`` environment variable as TensorFlow
does::

    {"cluster": {"worker": ["host1:12345", "host2:23456"]},
     "task": {"type": "worker", "index": 0}}

A ``"chief"`` job, when present, is worker 0 of the collective and the ``"worker"`` tasks
follow it.
"""
from __future__ import annotations

import json
import os

__all__ = ["ClusterSpec", "ClusterResolver", "TFConfigClusterResolver",
           "SimpleClusterResolver", "collective_workers"]


class ClusterSpec:
    """Jobs and their task addresses (``tf.train.ClusterSpec``).

    >>> spec = tf.train.ClusterSpec({"worker": ["localhost:1111", "localhost:2222"]})
    >>> spec.num_tasks("worker")
    2
    """

    def __init__(self, cluster):
        if isinstance(cluster, ClusterSpec):
            cluster = cluster.as_dict()
        if not isinstance(cluster, dict):
            raise TypeError(f"ClusterSpec: expected a dict of job name -> addresses, got "
                            f"{type(cluster).__name__}")
        self._jobs = {}
        for job, tasks in cluster.items():
            if isinstance(tasks, dict):
                self._jobs[str(job)] = {int(k): str(v) for k, v in tasks.items()}
            elif isinstance(tasks, (list, tuple)):
                self._jobs[str(job)] = {i: str(v) for i, v in enumerate(tasks)}
            else:
                raise TypeError(f"ClusterSpec: the tasks of job {job!r} must be a list or "
                                f"dict of addresses, got {type(tasks).__name__}")

    @property
    def jobs(self) -> list:
        return list(self._jobs)

    def num_tasks(self, job_name) -> int:
        return len(self._job(job_name))

    def task_indices(self, job_name) -> list:
        return sorted(self._job(job_name))

    def task_address(self, job_name, task_index) -> str:
        tasks = self._job(job_name)
        if task_index not in tasks:
            raise ValueError(f"No task with index {task_index} in job {job_name}")
        return tasks[task_index]

    def job_tasks(self, job_name) -> list:
        tasks = self._job(job_name)
        return [tasks.get(i) for i in range(max(tasks) + 1)] if tasks else []

    def _job(self, job_name):
        if job_name not in self._jobs:
            raise ValueError(f"No such job in cluster: {job_name!r}")
        return self._jobs[job_name]

    def as_dict(self) -> dict:
        out = {}
        for job, tasks in self._jobs.items():
            if sorted(tasks) == list(range(len(tasks))):
                out[job] = [tasks[i] for i in range(len(tasks))]
            else:
                out[job] = dict(tasks)
        return out

    def __bool__(self):
        return bool(self._jobs)

    def __eq__(self, other):
        return isinstance(other, ClusterSpec) and self.as_dict() == other.as_dict()

    def __repr__(self):
        return f"ClusterSpec({self.as_dict()})"


class ClusterResolver:
    """Base class: ``cluster_spec()``, ``task_type``, ``task_id``, ``master()``."""

    task_type = None
    task_id = None
    rpc_layer = None
    environment = ""

    def cluster_spec(self) -> ClusterSpec:
        raise NotImplementedError

    def master(self, task_type=None, task_id=None, rpc_layer=None) -> str:
        task_type = self.task_type if task_type is None else task_type
        task_id = self.task_id if task_id is None else task_id
        if task_type is None or task_id is None:
            return ""
        spec = self.cluster_spec()
        if task_type not in spec.jobs:
            return ""
        address = spec.task_address(task_type, task_id)
        layer = rpc_layer or self.rpc_layer
        return f"{layer}://{address}" if layer else address

    def num_accelerators(self, task_type=None, task_id=None, config_proto=None) -> dict:
        return {}


class SimpleClusterResolver(ClusterResolver):
    """A resolver from explicit values."""

    def __init__(self, cluster_spec, master="", task_type=None, task_id=None,
                 environment="", num_accelerators=None, rpc_layer=None):
        self._cluster_spec = ClusterSpec(cluster_spec)
        self._master = master
        self.task_type = task_type
        self.task_id = None if task_id is None else int(task_id)
        self.environment = environment
        self._num_accelerators = num_accelerators or {}
        self.rpc_layer = rpc_layer

    def cluster_spec(self) -> ClusterSpec:
        return self._cluster_spec

    def master(self, task_type=None, task_id=None, rpc_layer=None) -> str:
        if task_type is None and task_id is None and self._master:
            return self._master
        return super().master(task_type, task_id, rpc_layer)

    def num_accelerators(self, task_type=None, task_id=None, config_proto=None) -> dict:
        return dict(self._num_accelerators)


class TFConfigClusterResolver(ClusterResolver):
    """The cluster and task of the ``TF_CONFIG`` environment variable (read on each
    call, as TensorFlow does)."""

    def __init__(self, task_type=None, task_id=None, rpc_layer=None, environment=None):
        self._task_type = task_type
        self._task_id = task_id
        self._rpc_layer = rpc_layer
        self._environment = environment

    @staticmethod
    def _config() -> dict:
        raw = os.environ.get("TF_CONFIG", "")
        if not raw:
            return {}
        try:
            config = json.loads(raw)
        except json.JSONDecodeError as e:
            raise ValueError(f"TF_CONFIG is not valid JSON ({e}): {raw!r}") from None
        if not isinstance(config, dict):
            raise ValueError(f"TF_CONFIG must be a JSON object, got {raw!r}")
        return config

    @property
    def task_type(self):
        if self._task_type is not None:
            return self._task_type
        return self._config().get("task", {}).get("type")

    @task_type.setter
    def task_type(self, value):
        self._task_type = value

    @property
    def task_id(self):
        if self._task_id is not None:
            return self._task_id
        index = self._config().get("task", {}).get("index")
        return None if index is None else int(index)

    @task_id.setter
    def task_id(self, value):
        self._task_id = value

    @property
    def rpc_layer(self):
        return self._rpc_layer or self._config().get("rpc_layer")

    @rpc_layer.setter
    def rpc_layer(self, value):
        self._rpc_layer = value

    @property
    def environment(self):
        return self._environment or self._config().get("environment", "")

    def cluster_spec(self) -> ClusterSpec:
        return ClusterSpec(self._config().get("cluster", {}))


def collective_workers(resolver: ClusterResolver):
    """(addresses in collective order, this task's rank) for a MultiWorkerMirroredStrategy:
    the chief first, then the workers; ``([], 0)`` when there is no cluster."""
    spec = resolver.cluster_spec()
    jobs = spec.as_dict() if spec else {}
    unsupported = [j for j in jobs if j not in ("chief", "worker", "evaluator")]
    if unsupported:
        raise ValueError(f"MultiWorkerMirroredStrategy: TF_CONFIG's cluster may have "
                         f"'chief' and 'worker' jobs (and an 'evaluator'); got {unsupported} "
                         f"(parameter servers need ParameterServerStrategy)")
    if not jobs.get("chief") and not jobs.get("worker"):
        return [], 0
    if len(jobs.get("chief", [])) > 1:
        raise ValueError("MultiWorkerMirroredStrategy: a cluster has at most one chief")
    chief = list(jobs.get("chief", []))
    workers = spec.job_tasks("worker") if "worker" in jobs else []
    addresses = chief + workers
    task_type, task_id = resolver.task_type, resolver.task_id
    if task_type is None or task_id is None:
        raise ValueError("MultiWorkerMirroredStrategy: TF_CONFIG has a cluster but no task "
                         "(set \"task\": {\"type\": \"worker\", \"index\": i})")
    if task_type == "chief":
        rank = 0
    elif task_type == "worker":
        if not 0 <= task_id < len(workers):
            raise ValueError(f"MultiWorkerMirroredStrategy: task index {task_id} is outside "
                             f"the {len(workers)} workers of TF_CONFIG's cluster")
        rank = len(chief) + task_id
    elif task_type == "evaluator":
        return [], 0            # a side evaluator is not part of the collective
    else:
        raise ValueError(f"MultiWorkerMirroredStrategy: unknown task type {task_type!r}; "
                         f"expected 'chief' or 'worker'")
    return addresses, rank
