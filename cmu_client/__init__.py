"""CMU client library: models as NFTs on a Substrate chain, improved together.

Main entry points:

- :class:`cmu_client.chain.CmuChain`: every pallet-cmu call and query.
- :mod:`cmu_client.history`: lineage and contribution lists, read in pages.
- :class:`cmu_client.submitter.Submitter`: pipelined and batched submission.
- :mod:`cmu_client.keys`: sr25519 keys and the local keystore.
- :class:`cmu_client.ipfs.IpfsStore`: hash-checked content in Kubo.
- :mod:`cmu_client.spec` / :mod:`cmu_client.dataset`: the spec document and CSV data.
- :mod:`cmu_client.errors`: the one exception hierarchy (:class:`CmuError`).
"""

import os

__version__ = "0.1.0"

# LightGBM's OpenMP threads spin while they wait by default. On a machine with fewer free
# cores than threads (CI, a busy trainer) the spinning threads starve the working ones:
# measured here, a small training took 10x longer under load. Passive waiting changes no
# result (training stays bit for bit the same), only who gets the CPU. It must be set
# before LightGBM loads the OpenMP runtime, hence here; an explicit setting wins.
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
