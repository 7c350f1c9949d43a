"""The types every layer speaks: parsed filters, record batches, requests.

Each door (the in-process `Collection`, the server's wire decoder) builds them once;
the backends and the engine take them as they are. Nothing here imports from the rest
of the package.
"""
