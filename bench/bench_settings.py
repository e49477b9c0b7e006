"""Settings for the servers that bench/polls.py starts: the dev settings, per-IP limits off.

Every simulated phone connects from 127.0.0.1, so the per-IP limits (sockets per address,
HTTP votes and snapshots per address) would measure the limiter, not the poll. Nothing else
differs from config.settings.dev (DEBUG stays off through the environment).
"""

from config.settings.dev import *  # noqa: F403

POLL_MAX_SOCKETS_PER_IP = 0
POLL_RATE_LIMITS = {"votes": (0, 60), "snapshot": (0, 60), "code_misses": (0, 60)}
