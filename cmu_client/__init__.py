"""CMU client library."""
