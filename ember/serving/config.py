"""Which models a server serves: ``ModelConfig`` and TensorFlow Serving's model config
file (``--model_config_file``), a ``ModelServerConfig`` in protobuf text format::

    model_config_list {
      config {
        name: 'half_plus_two'
        base_path: '/models/half_plus_two'
        model_platform: 'tensorflow'
        model_version_policy { specific { versions: 1 versions: 2 } }
        version_labels { key: 'stable' value: 1 }
        version_labels { key: 'canary' value: 2 }
      }
    }

Version policies as TensorFlow Serving's: ``latest { num_versions: N }`` (the default,
N = 1), ``all {}``, ``specific { versions: ... }``.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field

__all__ = ["ModelConfig", "parse_model_config", "read_model_config_file"]


@dataclass
class ModelConfig:
    """One served model: its name, the base path holding its numbered version
    directories, the version policy and the version labels."""

    name: str
    base_path: str
    version_policy: str = "latest"           # "latest", "all" or "specific"
    num_versions: int = 1                    # for "latest"
    versions: tuple = ()                     # for "specific"
    labels: dict = field(default_factory=dict)

    def __post_init__(self):
        if not self.name or "/" in self.name or ":" in self.name:
            raise ValueError(f"Invalid model name {self.name!r}: a model name is non-empty "
                             f"and has no '/' or ':'.")
        if not self.base_path:
            raise ValueError(f"Model {self.name!r} has no base_path.")
        if self.version_policy not in ("latest", "all", "specific"):
            raise ValueError(f"Model {self.name!r}: unknown version policy "
                             f"{self.version_policy!r} (latest, all or specific).")
        if self.version_policy == "latest" and self.num_versions < 1:
            raise ValueError(f"Model {self.name!r}: latest {{ num_versions }} must be at "
                             f"least 1; got {self.num_versions}.")
        if self.version_policy == "specific" and not self.versions:
            raise ValueError(f"Model {self.name!r}: a specific version policy lists at least "
                             f"one version.")
        self.versions = tuple(int(v) for v in self.versions)
        self.labels = {str(k): int(v) for k, v in self.labels.items()}

    def aspired(self, on_disk) -> list:
        """The versions (of those ``on_disk``) the policy serves, highest first."""
        found = sorted(set(on_disk), reverse=True)
        if self.version_policy == "latest":
            return found[:self.num_versions]
        if self.version_policy == "all":
            return found
        return [v for v in found if v in self.versions]


# ------------------------------------------------------------------ text format ---

_TOKEN = re.compile(r"""\s*(?:(\#[^\n]*)|("(?:[^"\\\n]|\\.)*"|'(?:[^'\\\n]|\\.)*')|
                        ([-+]?[0-9][0-9a-zA-Z_.+-]*)|([A-Za-z_][A-Za-z0-9_.]*)|([{}<>:;,\[\]]))""",
                    re.VERBOSE)


def _tokens(text):
    pos, out = 0, []
    while pos < len(text):
        m = _TOKEN.match(text, pos)
        if m is None:
            if text[pos:].strip():
                line = text.count("\n", 0, pos) + 1
                raise ValueError(f"model config: cannot read {text[pos:pos + 20]!r} "
                                 f"(line {line})")
            break
        pos = m.end()
        comment, string, number, ident, punct = m.groups()
        if comment:
            continue
        if string is not None:
            body = string[1:-1].encode("utf-8").decode("unicode_escape")
            if out and out[-1][0] == "str":            # adjacent strings concatenate
                out[-1] = ("str", out[-1][1] + body)
            else:
                out.append(("str", body))
        elif number is not None:
            out.append(("num", number))
        elif ident is not None:
            out.append(("id", ident))
        elif punct is not None:
            out.append(("p", punct))
    return out


def _parse_message(tokens, i, closing):
    """{field: [values]} from tokens[i:] up to ``closing``; (message, next index)."""
    msg = {}
    while True:
        if i >= len(tokens):
            if closing is None:
                return msg, i
            raise ValueError(f"model config: missing {closing!r} at the end")
        kind, value = tokens[i]
        if kind == "p" and value == closing:
            return msg, i + 1
        if kind == "p" and value in ";,":
            i += 1
            continue
        if kind != "id":
            raise ValueError(f"model config: expected a field name, found {value!r}")
        name, i = value, i + 1
        if i < len(tokens) and tokens[i] == ("p", ":"):
            i += 1
        if i >= len(tokens):
            raise ValueError(f"model config: field {name!r} has no value")
        kind, value = tokens[i]
        if kind == "p" and value in "{<":
            sub, i = _parse_message(tokens, i + 1, "}" if value == "{" else ">")
            msg.setdefault(name, []).append(sub)
        elif kind == "p" and value == "[":
            i += 1
            while tokens[i] != ("p", "]"):
                if tokens[i] != ("p", ","):
                    msg.setdefault(name, []).append(_scalar(tokens[i]))
                i += 1
            i += 1
        else:
            msg.setdefault(name, []).append(_scalar(tokens[i]))
            i += 1


def _scalar(token):
    kind, value = token
    if kind == "str":
        return value
    if kind == "num":
        try:
            return int(value, 0)
        except ValueError:
            return float(value)
    if kind == "id":
        return {"true": True, "false": False}.get(value, value)
    raise ValueError(f"model config: unexpected {value!r}")


def parse_text_message(text: str) -> dict:
    """A protobuf text-format message as ``{field: [values]}`` (sub-messages as dicts)."""
    return _parse_message(_tokens(text), 0, None)[0]


def _only(msg, allowed, where):
    unknown = sorted(set(msg) - set(allowed))
    if unknown:
        raise ValueError(f"model config: unknown field(s) {unknown} in {where} (known: "
                         f"{sorted(allowed)})")


def _one(msg, name, default=None):
    values = msg.get(name)
    return values[-1] if values else default


def _config_from(msg):
    _only(msg, ("name", "base_path", "model_platform", "model_version_policy",
                "version_labels", "logging_config", "model_type"), "config")
    name = str(_one(msg, "name", ""))
    platform = _one(msg, "model_platform", "tensorflow")
    if platform != "tensorflow":
        raise ValueError(f"model config: model {name!r} has model_platform {platform!r}; "
                         f"ember serves 'tensorflow' (SavedModel) models only.")
    base_path = str(_one(msg, "base_path", ""))
    kwargs = {}
    policy = _one(msg, "model_version_policy")
    if policy:
        _only(policy, ("latest", "all", "specific"), "model_version_policy")
        if len(policy) != 1:
            raise ValueError(f"model config: model {name!r} sets more than one version "
                             f"policy: {sorted(policy)}")
        kind = next(iter(policy))
        body = policy[kind][-1]
        kwargs["version_policy"] = kind
        if kind == "latest":
            _only(body, ("num_versions",), "latest")
            kwargs["num_versions"] = int(_one(body, "num_versions", 1))
        elif kind == "specific":
            _only(body, ("versions",), "specific")
            kwargs["versions"] = tuple(int(v) for v in body.get("versions", []))
    labels = {}
    for entry in msg.get("version_labels", []):
        _only(entry, ("key", "value"), "version_labels")
        labels[str(_one(entry, "key", ""))] = int(_one(entry, "value", 0))
    return ModelConfig(name=name, base_path=base_path, labels=labels, **kwargs)


def parse_model_config(text: str) -> list:
    """The ``ModelConfig``s of a ModelServerConfig written in protobuf text format."""
    doc = parse_text_message(text)
    _only(doc, ("model_config_list", "custom_model_config"), "ModelServerConfig")
    if "custom_model_config" in doc:
        raise NotImplementedError("model config: custom_model_config is not supported by "
                                  "ember's model server; use model_config_list.")
    configs = []
    for lst in doc.get("model_config_list", []):
        _only(lst, ("config",), "model_config_list")
        configs.extend(_config_from(c) for c in lst.get("config", []))
    names = [c.name for c in configs]
    dupes = sorted({n for n in names if names.count(n) > 1})
    if dupes:
        raise ValueError(f"model config: model name(s) {dupes} appear more than once.")
    return configs


def read_model_config_file(path: str) -> list:
    """The ``ModelConfig``s of a ``--model_config_file``."""
    with open(path, encoding="utf-8") as f:
        return parse_model_config(f.read())
