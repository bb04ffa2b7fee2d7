"""The `cmu` command groups; each module has ``register(subparsers)``."""
