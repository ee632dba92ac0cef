"""The XPlane file a profile is saved as: what TensorBoard's profile plugin (xprof) reads.

An ``XSpace`` holds planes; the host plane ``/host:CPU`` has one line per thread, and each
line its timed events, whose names and statistics live in the plane's metadata tables. A
second plane, ``Task Environment``, records when the profile started and stopped. The
message schema is TensorFlow's ``xplane.proto`` (field numbers and types as published);
the classes are made at run time from that description by the protobuf library, which
comes with the ``tensorboard`` extra, so no generated code is needed.
"""
from __future__ import annotations

import os
import socket
import time

__all__ = ["xspace_bytes", "write_profile", "parse_xspace"]

_classes = None

# (message, [(field, number, type, repeated, message type)]); types as descriptor_pb2 names
_SCHEMA = [
    ("XSpace", [("planes", 1, "message", True, "XPlane"), ("errors", 2, "string", True, None),
                ("warnings", 3, "string", True, None),
                ("hostnames", 4, "string", True, None)]),
    ("XPlane", [("id", 1, "int64", False, None), ("name", 2, "string", False, None),
                ("lines", 3, "message", True, "XLine"),
                ("event_metadata", 4, "message", True, "XPlane.EventMetadataEntry"),
                ("stat_metadata", 5, "message", True, "XPlane.StatMetadataEntry"),
                ("stats", 6, "message", True, "XStat")]),
    ("XLine", [("id", 1, "int64", False, None), ("display_id", 10, "int64", False, None),
               ("name", 2, "string", False, None), ("display_name", 11, "string", False, None),
               ("timestamp_ns", 3, "int64", False, None),
               ("duration_ps", 9, "int64", False, None),
               ("events", 4, "message", True, "XEvent")]),
    ("XEvent", [("metadata_id", 1, "int64", False, None), ("offset_ps", 2, "int64", False, None),
                ("num_occurrences", 5, "int64", False, None),
                ("duration_ps", 3, "int64", False, None),
                ("stats", 4, "message", True, "XStat")]),
    ("XStat", [("metadata_id", 1, "int64", False, None), ("double_value", 2, "double", False, None),
               ("uint64_value", 3, "uint64", False, None), ("int64_value", 4, "int64", False, None),
               ("str_value", 5, "string", False, None), ("bytes_value", 6, "bytes", False, None),
               ("ref_value", 7, "uint64", False, None)]),
    ("XEventMetadata", [("id", 1, "int64", False, None), ("name", 2, "string", False, None),
                        ("display_name", 4, "string", False, None),
                        ("metadata", 3, "bytes", False, None),
                        ("stats", 5, "message", True, "XStat"),
                        ("child_id", 6, "int64", True, None)]),
    ("XStatMetadata", [("id", 1, "int64", False, None), ("name", 2, "string", False, None),
                       ("description", 3, "string", False, None)]),
]
_ONEOF_VALUE = ("double_value", "uint64_value", "int64_value", "str_value", "bytes_value",
                "ref_value")


def _message_classes():
    """{name: class} for the XPlane messages, made once from ``_SCHEMA``."""
    global _classes
    if _classes is not None:
        return _classes
    try:
        from google.protobuf import descriptor_pb2, descriptor_pool, message_factory
    except ImportError:
        raise ImportError("Saving a profile needs the protobuf library, which comes with "
                          "the tensorboard extra: pip install 'ember[tensorboard]'") from None
    F = descriptor_pb2.FieldDescriptorProto
    package = "tensorflow.profiler"
    proto = descriptor_pb2.FileDescriptorProto(name="ember_xplane.proto", package=package,
                                               syntax="proto3")

    def add_fields(message, fields):
        for fname, number, ftype, repeated, type_name in fields:
            f = message.field.add(name=fname, number=number,
                                  type=getattr(F, "TYPE_" + ftype.upper()),
                                  label=F.LABEL_REPEATED if repeated else F.LABEL_OPTIONAL)
            if type_name:
                f.type_name = f".{package}.{type_name}"
            if message.name == "XStat" and fname in _ONEOF_VALUE:
                f.oneof_index = 0

    for name, fields in _SCHEMA:
        message = proto.message_type.add(name=name)
        add_fields(message, fields)
        if name == "XStat":
            message.oneof_decl.add(name="value")
        if name == "XPlane":
            for entry, value in (("EventMetadataEntry", "XEventMetadata"),
                                 ("StatMetadataEntry", "XStatMetadata")):
                nested = message.nested_type.add(name=entry)
                nested.options.map_entry = True
                add_fields(nested, [("key", 1, "int64", False, None),
                                    ("value", 2, "message", False, value)])
    pool = descriptor_pool.DescriptorPool()
    pool.Add(proto)
    _classes = {name: message_factory.GetMessageClass(
        pool.FindMessageTypeByName(f"{package}.{name}")) for name, _ in _SCHEMA}
    return _classes


class _Plane:
    """Builds one XPlane, interning event and statistic names in its metadata tables."""

    def __init__(self, plane):
        self.plane = plane
        self._events = {}
        self._stats = {}

    def event_id(self, name):
        return self._intern(self._events, self.plane.event_metadata, name)

    def stat_id(self, name):
        return self._intern(self._stats, self.plane.stat_metadata, name)

    @staticmethod
    def _intern(ids, table, name):
        i = ids.get(name)
        if i is None:
            i = ids[name] = len(ids) + 1
            table[i].id = i
            table[i].name = name
        return i

    def set_stat(self, stat, name, value):
        stat.metadata_id = self.stat_id(name)
        if isinstance(value, bool):
            stat.int64_value = int(value)
        elif isinstance(value, int):
            stat.int64_value = value
        elif isinstance(value, float):
            stat.double_value = value
        elif isinstance(value, bytes):
            stat.bytes_value = value
        else:
            stat.str_value = str(value)


def xspace_bytes(collector, hostname=None):
    """The serialized XSpace of a stopped ``ember.runtime.profiling.Collector``."""
    classes = _message_classes()
    space = classes["XSpace"]()
    hostname = hostname or socket.gethostname()
    space.hostnames.append(hostname)
    host = _Plane(space.planes.add(id=0, name="/host:CPU"))
    for n, (_, thread_name, events) in enumerate(collector.threads):
        if not events:
            continue
        events = sorted(events, key=lambda e: (e[1], -e[2]))
        line = host.plane.lines.add(id=n, display_id=n, name=thread_name,
                                    display_name=thread_name)
        first = events[0][1]
        # times are relative to the profile's start, as TensorFlow writes them
        line.timestamp_ns = collector.wall_ns(first) - collector.start_wall
        line.duration_ps = (max(s + d for _, s, d, _ in events) - first) * 1000
        for name, start, duration, stats in events:
            event = line.events.add(metadata_id=host.event_id(name),
                                    offset_ps=(start - first) * 1000,
                                    duration_ps=duration * 1000)
            for key, value in (stats or {}).items():
                host.set_stat(event.stats.add(), key, value)
    env = _Plane(space.planes.add(id=0, name="Task Environment"))
    stop = collector.stop_wall or time.time_ns()
    for name, t in (("profile_start_time", collector.start_wall), ("profile_stop_time", stop)):
        env.plane.stats.add(metadata_id=env.stat_id(name), uint64_value=t)
    return space.SerializeToString()


def write_profile(collector, logdir):
    """Writes ``<logdir>/plugins/profile/<YYYY_MM_DD_HH_MM_SS>/<host>.xplane.pb`` (the
    layout TensorBoard's profile plugin lists as one run) and returns its path."""
    from ember.runtime.atomic_file import atomic_write
    hostname = socket.gethostname()
    run = time.strftime("%Y_%m_%d_%H_%M_%S", time.localtime(collector.start_wall / 1e9))
    path = os.path.join(os.fspath(logdir), "plugins", "profile", run,
                        f"{hostname}.xplane.pb")
    data = xspace_bytes(collector, hostname)
    with atomic_write(path) as tmp:
        with open(tmp, "wb") as f:
            f.write(data)
    return path


def parse_xspace(data):
    """An XSpace message read from bytes (for tools and tests)."""
    space = _message_classes()["XSpace"]()
    space.ParseFromString(data)
    return space
