"""``tf.compat.v1.flags`` / ``tf.app.flags``: command-line flags as TF1 scripts define them.

    flags.DEFINE_integer("epochs", 10, "Number of epochs.")
    FLAGS = flags.FLAGS
    def main(argv): ... FLAGS.epochs ...
    tf.app.run(main)

``FLAGS`` parses ``sys.argv`` the first time a flag is read (or when ``app.run`` starts):
``--name=value``, ``--name value``, ``--flag``/``--noflag`` for booleans; ``--`` ends the
flags. An unknown flag, a bad value or an enum value outside its choices is a clear error.
"""
from __future__ import annotations

import sys

__all__ = ["FLAGS", "DEFINE_string", "DEFINE_integer", "DEFINE_float", "DEFINE_boolean",
           "DEFINE_bool", "DEFINE_list", "DEFINE_enum", "DEFINE_multi_string",
           "DEFINE_multi_integer", "mark_flag_as_required", "Error", "IllegalFlagValueError",
           "UnrecognizedFlagError"]


class Error(Exception):
    pass


class IllegalFlagValueError(Error):
    pass


class UnrecognizedFlagError(Error):
    pass


class _Flag:
    def __init__(self, name, default, help, parse, boolean=False, multi=False):  # noqa: A002
        self.name = name
        self.default = default
        self.help = help
        self.parse = parse
        self.boolean = boolean
        self.multi = multi
        self.value = default
        self.present = False


class _FlagValues:
    def __init__(self):
        object.__setattr__(self, "_flags", {})
        object.__setattr__(self, "_parsed", False)
        object.__setattr__(self, "_required", set())

    def _define(self, flag):
        if flag.name in self._flags:
            raise Error(f"flag --{flag.name} is defined twice")
        self._flags[flag.name] = flag

    def __call__(self, argv):
        """Parses the flags in ``argv`` (argv[0] is the program); returns the rest."""
        rest = [argv[0]] if argv else []
        args = list(argv[1:])
        while args:
            arg = args.pop(0)
            if arg == "--":
                rest.extend(args)
                break
            if not arg.startswith("-") or arg == "-":
                rest.append(arg)
                continue
            body = arg.lstrip("-")
            name, eq, value = body.partition("=")
            flag = self._flags.get(name)
            if flag is None and name.startswith("no") and not eq:
                negated = self._flags.get(name[2:])
                if negated is not None and negated.boolean:
                    negated.value, negated.present = False, True
                    continue
            if flag is None:
                raise UnrecognizedFlagError(f"Unknown command line flag '{name}'")
            if flag.boolean and not eq:
                flag.value, flag.present = True, True
                continue
            if not eq:
                if not args:
                    raise IllegalFlagValueError(f"Flag --{name} needs a value")
                value = args.pop(0)
            try:
                parsed = flag.parse(value)
            except (ValueError, TypeError) as e:
                raise IllegalFlagValueError(f"flag --{name}={value}: {e}") from None
            if flag.multi:
                flag.value = (flag.value if flag.present else []) + [parsed]
            else:
                flag.value = parsed
            flag.present = True
        missing = [n for n in self._required if self._flags[n].value is None]
        if missing:
            raise IllegalFlagValueError(f"Flag --{missing[0]} must have a value other than "
                                        f"None.")
        object.__setattr__(self, "_parsed", True)
        return rest

    def __getattr__(self, name):
        flags = self.__dict__.get("_flags", {})
        if name not in flags:
            raise AttributeError(f"Unknown flag {name!r}")
        if not self._parsed:
            self(sys.argv)
        return flags[name].value

    def __setattr__(self, name, value):
        if name not in self._flags:
            raise AttributeError(f"Unknown flag {name!r}")
        self._flags[name].value = value

    def __contains__(self, name):
        return name in self._flags

    def is_parsed(self):
        return self._parsed

    def mark_as_parsed(self):
        object.__setattr__(self, "_parsed", True)

    def unparse_flags(self):
        for flag in self._flags.values():
            flag.value, flag.present = flag.default, False
        object.__setattr__(self, "_parsed", False)

    def flag_values_dict(self):
        return {name: flag.value for name, flag in self._flags.items()}


FLAGS = _FlagValues()


def _bool(text):
    lowered = str(text).lower()
    if lowered in ("true", "t", "1", "yes", "y"):
        return True
    if lowered in ("false", "f", "0", "no", "n"):
        return False
    raise ValueError(f"{text!r} is not a boolean")


def DEFINE_string(name, default, help, flag_values=FLAGS, **kwargs):  # noqa: N802,A002
    flag_values._define(_Flag(name, default, help, str))


def DEFINE_integer(name, default, help, lower_bound=None, upper_bound=None,  # noqa: N802
                   flag_values=FLAGS, **kwargs):
    def parse(text):
        value = int(text)
        if (lower_bound is not None and value < lower_bound) or \
                (upper_bound is not None and value > upper_bound):
            raise ValueError(f"{value} is outside [{lower_bound}, {upper_bound}]")
        return value
    flag_values._define(_Flag(name, default, help, parse))


def DEFINE_float(name, default, help, lower_bound=None, upper_bound=None,  # noqa: N802
                 flag_values=FLAGS, **kwargs):
    def parse(text):
        value = float(text)
        if (lower_bound is not None and value < lower_bound) or \
                (upper_bound is not None and value > upper_bound):
            raise ValueError(f"{value} is outside [{lower_bound}, {upper_bound}]")
        return value
    flag_values._define(_Flag(name, default, help, parse))


def DEFINE_boolean(name, default, help, flag_values=FLAGS, **kwargs):  # noqa: N802,A002
    flag_values._define(_Flag(name, default, help, _bool, boolean=True))


DEFINE_bool = DEFINE_boolean


def DEFINE_list(name, default, help, flag_values=FLAGS, **kwargs):  # noqa: N802,A002
    if isinstance(default, str):
        default = [s for s in default.split(",") if s]
    flag_values._define(_Flag(name, default, help,
                              lambda text: [s.strip() for s in text.split(",") if s.strip()]))


def DEFINE_enum(name, default, enum_values, help, flag_values=FLAGS, **kwargs):  # noqa: N802
    def parse(text):
        if text not in enum_values:
            raise ValueError(f"value should be one of <{'|'.join(enum_values)}>")
        return text
    flag_values._define(_Flag(name, default, help, parse))


def DEFINE_multi_string(name, default, help, flag_values=FLAGS, **kwargs):  # noqa: N802
    flag_values._define(_Flag(name, default, help, str, multi=True))


def DEFINE_multi_integer(name, default, help, flag_values=FLAGS, **kwargs):  # noqa: N802
    flag_values._define(_Flag(name, default, help, int, multi=True))


def mark_flag_as_required(name, flag_values=FLAGS):
    flag_values._required.add(name)
