"""`python -m chromadb`: the `chroma` command, for when its script is not on PATH."""
from chromadb.cli import console

if __name__ == "__main__":
    console()
