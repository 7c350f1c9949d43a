"""The text pipeline of Chroma's BM25: clean, split, drop stopwords and long tokens, stem, hash.

Every step matches chromadb 1.5.9's `ChromaBm25EmbeddingFunction`, so that sparse vectors
made here and by real Chroma (whose server scores them) agree bit for bit: punctuation
runs become spaces, the text is lowercased and split on whitespace, English stopwords
(NLTK's list) and tokens longer than the limit are dropped *before* stemming with the
Snowball English stemmer, and each stem becomes the absolute value of its signed 32-bit
murmur3 hash (seed 0).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from typing import Any, Protocol

from chromadb.utils.embedding_functions._optional import import_optional

__all__ = [
    "DEFAULT_ENGLISH_STOPWORDS", "Bm25Tokenizer", "Murmur3AbsHasher", "SnowballStemmer", "english_stemmer",
    "get_english_stemmer", "murmur3_abs_hash", "murmur3_abs_hasher",
]

DEFAULT_ENGLISH_STOPWORDS: list[str] = [
    "a", "about", "above", "after", "again", "against", "ain", "all", "am", "an", "and", "any",
    "are", "aren", "aren't", "as", "at", "be", "because", "been", "before", "being", "below",
    "between", "both", "but", "by", "can", "couldn", "couldn't", "d", "did", "didn", "didn't",
    "do", "does", "doesn", "doesn't", "doing", "don", "don't", "down", "during", "each", "few",
    "for", "from", "further", "had", "hadn", "hadn't", "has", "hasn", "hasn't", "have",
    "haven", "haven't", "having", "he", "her", "here", "hers", "herself", "him", "himself",
    "his", "how", "i", "if", "in", "into", "is", "isn", "isn't", "it", "it's", "its", "itself",
    "just", "ll", "m", "ma", "me", "mightn", "mightn't", "more", "most", "mustn", "mustn't",
    "my", "myself", "needn", "needn't", "no", "nor", "not", "now", "o", "of", "off", "on",
    "once", "only", "or", "other", "our", "ours", "ourselves", "out", "over", "own", "re", "s",
    "same", "shan", "shan't", "she", "she's", "should", "should've", "shouldn", "shouldn't",
    "so", "some", "such", "t", "than", "that", "that'll", "the", "their", "theirs", "them",
    "themselves", "then", "there", "these", "they", "this", "those", "through", "to", "too",
    "under", "until", "up", "ve", "very", "was", "wasn", "wasn't", "we", "were", "weren",
    "weren't", "what", "when", "where", "which", "while", "who", "whom", "why", "will", "with",
    "won", "won't", "wouldn", "wouldn't", "y", "you", "you'd", "you'll", "you're", "you've",
    "your", "yours", "yourself", "yourselves",
]

# Runs of characters that are neither word characters nor whitespace (Unicode-aware).
_PUNCTUATION = re.compile(r"[^\w\s]+")


# Stems already computed, shared by every stemmer: a word's stem never changes, and a
# collection's vocabulary repeats from one batch of documents to the next.
_STEMS: dict[str, str] = {}
STEM_CACHE_MAX = 200_000


def english_stemmer() -> Callable[[str], str]:
    """A memoising Snowball English stemmer (from the `snowballstemmer` package).

    The pure-Python stemmer costs ~0.1 ms a word and text repeats its words, so each
    word is stemmed once per process (up to STEM_CACHE_MAX words). A stemmer object
    keeps state while it works: make one per batch (per thread), not one per process.
    """
    snowballstemmer = import_optional("snowballstemmer", "snowballstemmer", "snowballstemmer")
    stem_word: Callable[[str], str] = snowballstemmer.stemmer("english").stemWord
    stems = _STEMS

    def stem(word: str) -> str:
        stemmed = stems.get(word)
        if stemmed is None:
            if len(stems) >= STEM_CACHE_MAX:
                stems.clear()
            stemmed = stems[word] = stem_word(word)
        return stemmed

    return stem


class SnowballStemmer(Protocol):
    """Upstream's stemmer interface: `stem(token)` gives the token's stem."""

    def stem(self, token: str) -> str: ...


class _Stemmer:
    def __init__(self, stem: Callable[[str], str]) -> None:
        self.stem = stem


def get_english_stemmer() -> SnowballStemmer:
    """`english_stemmer()` behind upstream's interface (an object with a `stem` method)."""
    return _Stemmer(english_stemmer())


def murmur3_abs_hasher(seed: int = 0) -> Callable[[str], int]:
    """abs() of the signed 32-bit MurmurHash3 of a UTF-8 token (0 .. 2**31); Chroma's BM25 uses seed 0."""
    mmh3: Any = import_optional("mmh3", "mmh3", "mmh3")
    murmur3 = mmh3.hash

    def hash_token(token: str) -> int:
        return abs(murmur3(token, seed=seed))  # type: ignore[no-any-return]

    return hash_token


class Murmur3AbsHasher:
    """`murmur3_abs_hasher(seed)` behind upstream's interface: `Murmur3AbsHasher().hash(token)`."""

    def __init__(self, seed: int = 0) -> None:
        self.seed = seed
        self.hash = murmur3_abs_hasher(seed)


def murmur3_abs_hash(token: str) -> int:
    """One token's index (see `murmur3_abs_hasher`, which imports once for many tokens)."""
    return murmur3_abs_hasher()(token)


class Bm25Tokenizer:
    """Splits text into stemmed tokens for BM25.

    `stemmer` is a function from word to stem, or (upstream's form) an object with a
    `stem(word)` method such as `get_english_stemmer()`.
    """

    def __init__(
        self, stemmer: SnowballStemmer | Callable[[str], str], stopwords: Iterable[str], token_max_length: int
    ) -> None:
        self._stem: Callable[[str], str] = getattr(stemmer, "stem", stemmer)  # type: ignore[arg-type]
        self._stopwords = {word.lower() for word in stopwords}
        self._token_max_length = token_max_length

    def tokenize(self, text: str) -> list[str]:
        tokens: list[str] = []
        for word in _PUNCTUATION.sub(" ", text).lower().split():
            if word in self._stopwords or len(word) > self._token_max_length:
                continue
            stemmed = self._stem(word).strip()
            if stemmed:
                tokens.append(stemmed)
        return tokens
