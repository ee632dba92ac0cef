"""Where a worker writes checkpoints and saved models in a multi-worker cluster.

As TensorFlow's multi-worker guide describes: every worker runs the saving code (saving
may involve collectives), but only the chief writes to the real path; the others write
to a temporary directory beside it (``workertemp_<task id>``) and remove it afterwards.
"""
from __future__ import annotations

import os
import shutil

__all__ = ["is_chief", "write_dirpath", "write_filepath", "remove_temp_dirpath",
           "remove_temp_dir_with_filepath"]


def _strategy(strategy=None):
    if strategy is None:
        from ember.distribute.distribution_context import get_strategy
        strategy = get_strategy()
    return strategy


def is_chief(strategy=None) -> bool:
    """True on the chief (worker 0) and outside multi-worker training."""
    return _strategy(strategy).extended.should_checkpoint


def _task_id(strategy):
    resolver = strategy.cluster_resolver
    task = getattr(resolver, "task_id", None)
    return task if task is not None else strategy.extended._worker_index


def write_dirpath(dirpath: str, strategy=None) -> str:
    """``dirpath`` on the chief, ``dirpath/workertemp_<task id>`` elsewhere."""
    strategy = _strategy(strategy)
    if is_chief(strategy):
        return dirpath
    return os.path.join(dirpath, f"workertemp_{_task_id(strategy)}")


def write_filepath(filepath: str, strategy=None) -> str:
    """``filepath`` on the chief, the same file name in a worker temp dir elsewhere."""
    dirname, base = os.path.split(filepath)
    return os.path.join(write_dirpath(dirname or ".", strategy), base) \
        if not is_chief(strategy) else filepath


def remove_temp_dirpath(dirpath: str, strategy=None) -> None:
    """Removes a non-chief worker's temporary directory (nothing on the chief)."""
    strategy = _strategy(strategy)
    if not is_chief(strategy):
        shutil.rmtree(write_dirpath(dirpath, strategy), ignore_errors=True)


def remove_temp_dir_with_filepath(filepath: str, strategy=None) -> None:
    remove_temp_dirpath(os.path.dirname(filepath) or ".", strategy)
