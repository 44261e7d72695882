"""The two-phase import pipeline (plan §9.1): upload → parse, map, validate → preview → commit
in one transaction → rollback. Generic over what a file holds; each kind (SKUs, …) is a plugin
(``ucm.imports.kinds.Kind``)."""
