"""Adapters: one module per outside service, each implementing a port of ``ucm.ports``."""
