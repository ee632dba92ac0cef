"""``tf.compat.v1.app``: ``app.run(main)`` parses the command-line flags, then calls
``main(argv)`` with the arguments left and exits with its return value."""
from __future__ import annotations

import sys

from ember.compat.v1 import flags  # noqa: F401 - tf.app.flags


def run(main=None, argv=None):
    args = sys.argv if argv is None else argv
    rest = flags.FLAGS(args)
    if main is None:
        main = sys.modules["__main__"].main
    sys.exit(main(rest))
