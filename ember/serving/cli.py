"""``python -m ember serve``: the model server from the command line, with TensorFlow
Serving's flag names::

    python -m ember serve --model_name=my_model --model_base_path=/models/my_model \\
        [--rest_api_port=8501] [--file_system_poll_wait_seconds=1]
    python -m ember serve --model_config_file=/models/models.config

Only the REST API is served: ``--port`` (TensorFlow Serving's gRPC port) is accepted and
ignored with a note, so existing launch scripts run unchanged.
"""
from __future__ import annotations

import argparse
import os
import signal
import sys

__all__ = ["main"]


def _bool(text):
    if text.lower() in ("1", "true", "yes"):
        return True
    if text.lower() in ("0", "false", "no"):
        return False
    raise argparse.ArgumentTypeError(f"expected true or false, got {text!r}")


def _parser():
    p = argparse.ArgumentParser(
        prog="python -m ember serve",
        description="Serve SavedModels with TensorFlow Serving's REST API.")
    p.add_argument("--model_name", default="default",
                   help="name of the model (with --model_base_path); default: default")
    p.add_argument("--model_base_path", default="",
                   help="directory holding the model's numbered version directories")
    p.add_argument("--model_config_file", default="",
                   help="a ModelServerConfig in protobuf text format (several models, "
                        "version policies and labels); replaces the two flags above")
    p.add_argument("--model_config_file_poll_wait_seconds", type=float, default=0.0,
                   help="re-read --model_config_file this often (0: never)")
    p.add_argument("--rest_api_port", type=int, default=8501,
                   help="port of the REST API (0: any free port); default 8501")
    p.add_argument("--rest_api_host", default="0.0.0.0",
                   help="address to listen on; default 0.0.0.0 (every interface)")
    p.add_argument("--rest_api_num_threads", type=int, default=0,
                   help="how many requests run at once (0: no limit)")
    p.add_argument("--enable_batching", type=_bool, nargs="?", const=True, default=False,
                   help="run concurrent requests for one signature as one batch")
    p.add_argument("--batching_parameters_file", default="",
                   help="BatchingParameters in protobuf text format (max_batch_size, "
                        "batch_timeout_micros, num_batch_threads, allowed_batch_sizes)")
    p.add_argument("--file_system_poll_wait_seconds", type=float, default=1.0,
                   help="look for new model versions this often (0: only at start)")
    p.add_argument("--port", type=int, default=None,
                   help="TensorFlow Serving's gRPC port: not served by ember (ignored)")
    p.add_argument("--log_requests", type=_bool, nargs="?", const=True, default=False,
                   help="log every request to stderr")
    return p


def main(argv=None) -> int:
    args = _parser().parse_args(argv)
    from ember.serving.server import ModelServer
    if args.port is not None:
        print("ember serve: only the REST API is served; --port (gRPC) is ignored.",
              file=sys.stderr)
    if not args.model_base_path and not args.model_config_file:
        print("ember serve: give --model_base_path (and --model_name) or "
              "--model_config_file.", file=sys.stderr)
        return 2
    try:
        server = ModelServer(args.model_name, args.model_base_path or None,
                             model_config_file=args.model_config_file or None,
                             rest_api_port=args.rest_api_port,
                             rest_api_host=args.rest_api_host,
                             rest_api_num_threads=args.rest_api_num_threads or None,
                             enable_batching=args.enable_batching,
                             batching_parameters_file=(args.batching_parameters_file
                                                       if args.enable_batching else None),
                             file_system_poll_wait_seconds=args.file_system_poll_wait_seconds,
                             model_config_file_poll_wait_seconds=(
                                 args.model_config_file_poll_wait_seconds),
                             log_requests=args.log_requests)
        server.start()
    except (OSError, ValueError, NotImplementedError) as e:
        print(f"ember serve: {e}", file=sys.stderr)
        return 1

    def terminate(signum, frame):
        raise KeyboardInterrupt
    signal.signal(signal.SIGTERM, terminate)
    for config in server.manager.configs:
        try:
            server.manager.servable(config.name)
        except Exception:      # noqa: BLE001 - reported, the server waits for versions
            hint = ""
            if os.path.isfile(os.path.join(config.base_path, "saved_model.json")):
                hint = (f" ({config.base_path} is itself a SavedModel: the base path holds "
                        f"numbered version directories, e.g. {config.base_path}/1/)")
            print(f"ember serve: no version of model {config.name!r} is available yet; "
                  f"waiting for one to appear{hint}.", file=sys.stderr)
    print(f"Exporting HTTP/REST API at:{server.url.split('//')[1]} ...", file=sys.stderr,
          flush=True)
    server.serve_forever()
    return 0
