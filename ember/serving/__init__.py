"""ember.serving: TensorFlow Serving's REST API for SavedModels, on the standard library.

    server = ember.serving.ModelServer("my_model", "/models/my_model", rest_api_port=8501)
    server.start()          # or server.serve_forever(); or ``python -m ember serve ...``
    # POST http://localhost:8501/v1/models/my_model:predict  {"instances": [[1.0, 2.0]]}
    server.stop()

``/models/my_model`` holds numbered version directories (``1/``, ``2/``, ...), each a
SavedModel from ``ember.saved_model.save`` or Keras ``model.export``; the highest is served
and new ones are picked up while serving. See ``ember.serving.server`` for the endpoints
and ``ember.serving.config`` for the model config file.
"""
from ember.serving.config import ModelConfig, parse_model_config, read_model_config_file
from ember.serving.errors import ServingError
from ember.serving.server import ModelServer

__all__ = ["ModelServer", "ModelConfig", "ServingError", "parse_model_config",
           "read_model_config_file"]
