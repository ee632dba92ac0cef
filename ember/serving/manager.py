"""The models a server holds: each model's numbered version directories under its base
path (``<base_path>/<version>/`` holding a SavedModel), loaded as the version policy asks
and watched for new or removed versions, as TensorFlow Serving's file system source does.

A new version is loaded before the versions it replaces are unloaded, so requests for the
model never find it missing; a request already running on an unloaded version finishes on
it. A version directory is read once its ``saved_model.json`` is there (``saved_model.save``
and ``model.export`` write it last), so a half-copied version is waited for, not failed.
"""
from __future__ import annotations

import os
import threading

from ember.serving.errors import ServingError, invalid_argument, not_found

__all__ = ["ModelManager", "VersionState"]

_INDEX = "saved_model.json"


class VersionState:
    """A version's state as GetModelStatus reports it."""

    def __init__(self, state="START", error_code="OK", error_message=""):
        self.state = state
        self.error_code = error_code
        self.error_message = error_message

    def to_json(self, version) -> dict:
        return {"version": str(version), "state": self.state,
                "status": {"error_code": self.error_code,
                           "error_message": self.error_message}}


def versions_on_disk(base_path: str) -> list:
    """The numbered version directories under ``base_path`` that hold a SavedModel."""
    try:
        entries = os.listdir(base_path)
    except OSError:
        return []
    found = []
    for entry in entries:
        if entry.isdigit() and os.path.isfile(os.path.join(base_path, entry, _INDEX)):
            found.append(int(entry))
    return found


def _failure(e: BaseException):
    if isinstance(e, FileNotFoundError):
        return "NOT_FOUND"
    if isinstance(e, (ValueError, TypeError, KeyError)):
        return "INVALID_ARGUMENT"
    return getattr(e, "code", None) if isinstance(e, ServingError) else "UNKNOWN"


class ModelManager:
    """Loads and unloads the versions of the configured models; thread-safe."""

    def __init__(self, configs, loader=None):
        if loader is None:
            from ember.serving.servable import Servable as loader
        self._loader = loader
        self._lock = threading.RLock()
        self._poll_lock = threading.Lock()
        self._configs = {}
        self._servables = {}       # name -> {version: Servable}
        self._states = {}          # name -> {version: VersionState}
        self.set_configs(configs)

    def set_configs(self, configs):
        """Serves these models (a model no longer listed is unloaded on the next poll)."""
        with self._lock:
            self._configs = {c.name: c for c in configs}

    @property
    def configs(self):
        """The served models' ModelConfigs, by name."""
        with self._lock:
            return [self._configs[n] for n in sorted(self._configs)]

    # --------------------------------------------------------------------- polling ---
    def poll(self):
        """Looks at every base path once: loads the versions the policy wants that are
        not loaded yet, then unloads the ones it no longer wants."""
        with self._poll_lock:
            with self._lock:
                configs = dict(self._configs)
                gone = [n for n in self._servables if n not in configs]
            for name in gone:
                self._unload(name, list(self._servables.get(name, {})))
            for name, config in configs.items():
                aspired = config.aspired(versions_on_disk(config.base_path))
                for version in aspired:
                    state = self._states.get(name, {}).get(version, VersionState())
                    failed = state.state == "END" and state.error_code != "OK"
                    if version not in self._servables.get(name, {}) and not failed:
                        self._load(name, version,
                                   os.path.join(config.base_path, str(version)))
                loaded = list(self._servables.get(name, {}))
                self._unload(name, [v for v in loaded if v not in aspired])

    def _set_state(self, name, version, state):
        with self._lock:
            self._states.setdefault(name, {})[version] = state

    def _load(self, name, version, path):
        self._set_state(name, version, VersionState("LOADING"))
        try:
            servable = self._loader(name, version, path)
        except Exception as e:              # noqa: BLE001 - a bad version is reported
            self._set_state(name, version,
                            VersionState("END", _failure(e), f"{type(e).__name__}: {e}"))
            return
        with self._lock:
            self._servables.setdefault(name, {})[version] = servable
            self._states[name][version] = VersionState("AVAILABLE")

    def _unload(self, name, versions):
        with self._lock:
            for v in versions:
                self._states.setdefault(name, {})[v] = VersionState("UNLOADING")
                self._servables.get(name, {}).pop(v, None)
                self._states[name][v] = VersionState("END")
            if name in self._servables and not self._servables[name]:
                del self._servables[name]

    # -------------------------------------------------------------------- requests ---
    def _resolve_label(self, name, label):
        config = self._configs.get(name)
        if config is None or label not in config.labels:
            raise invalid_argument(f"Unrecognized servable version label: {label}")
        return config.labels[label]

    def servable(self, name, version=None, label=None):
        """The servable a request names: the highest loaded version, or the one
        ``version`` or ``label`` names."""
        with self._lock:
            if label is not None:
                version = self._resolve_label(name, label)
            loaded = self._servables.get(name, {})
            if version is None:
                if loaded:
                    return loaded[max(loaded)]
                raise not_found(f"Servable not found for request: Latest({name})")
            if version in loaded:
                return loaded[version]
            raise not_found(f"Servable not found for request: Specific({name}, {version})")

    def status(self, name, version=None, label=None) -> dict:
        """The model's GetModelStatusResponse (every version it has had, or one)."""
        with self._lock:
            if label is not None:
                version = self._resolve_label(name, label)
            states = self._states.get(name, {}) if name in self._configs else {}
            if version is not None:
                if version not in states:
                    raise not_found(f"Could not find version {version} of model {name}")
                return {"model_version_status": [states[version].to_json(version)]}
            if not states:
                raise not_found(f"Could not find any versions of model {name}")
            return {"model_version_status": [states[v].to_json(v)
                                             for v in sorted(states, reverse=True)]}
