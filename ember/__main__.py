"""``python -m ember run script.py [args]``: runs a TensorFlow script on ember, unchanged.
``python -m ember serve --model_name=NAME --model_base_path=PATH [...]``: serves SavedModels
with TensorFlow Serving's REST API (``ember.serving``; ``serve --help`` lists the flags)."""
from __future__ import annotations

import runpy
import sys

USAGE = ("usage: python -m ember run SCRIPT.py [ARGS...]\n"
         "       python -m ember serve --model_name=NAME --model_base_path=PATH "
         "[--rest_api_port=8501] [--model_config_file=FILE] ...")


def main(argv=None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv and argv[0] == "serve":
        from ember.serving.cli import main as serve
        return serve(argv[1:])
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
