"""The demo province: a deterministic synthetic province loaded through the importer."""
