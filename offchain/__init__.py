"""CMU off-chain trainer."""
