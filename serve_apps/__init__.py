"""Ray Serve apps. Importing the package keeps replicas of a loopback-only cluster on loopback (_loopback.py)."""

from serve_apps._loopback import bind_replicas_to_loopback

bind_replicas_to_loopback()
