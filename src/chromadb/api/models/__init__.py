"""Collection classes under upstream's module paths (`chromadb.api.models.Collection`, ...)."""
