"""Client-side request builders; `chromadb.execution.expression` holds the Search API."""
