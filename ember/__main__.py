"""``python -m ember run script.py [args]``: runs a TensorFlow script on ember, unchanged."""
from __future__ import annotations

import runpy
import sys

USAGE = "usage: python -m ember run SCRIPT.py [ARGS...]"


def main(argv=None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if len(argv) < 2 or argv[0] != "run":
        print(USAGE, file=sys.stderr)
        return 2
    import ember
    ember.install_as_tensorflow()
    script = argv[1]
    sys.argv = argv[1:]
    runpy.run_path(script, run_name="__main__")
    return 0


if __name__ == "__main__":
    sys.exit(main())
