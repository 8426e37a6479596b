"""Cloud Function (Pub/Sub trigger): start the ingest VM; its boot script runs the cycle.

The VM powers itself off when the cycle is done, so the function only starts it.
A message ``{"action": "stop"}`` stops it (e.g. from an alert on a stuck run).
"""

import base64
import json
import os
from typing import Any

from google.cloud import compute_v1


def on_tick(event: Any, context: Any = None) -> str:
    """Start (or stop) the ingest VM named by the INSTANCE environment variable."""
    data = event.get("data") if isinstance(event, dict) else None
    message = json.loads(base64.b64decode(data).decode()) if data else {}
    instances = compute_v1.InstancesClient()
    target = {"project": os.environ["PROJECT_ID"], "zone": os.environ["ZONE"],
              "instance": os.environ["INSTANCE"]}
    if message.get("action") == "stop":
        instances.stop(**target)
        return "stopping"
    instances.start(**target)
    return "starting"
