"""Characters to indices and back, for a vocabulary given as one string in index order."""


def encode(text, vocabulary):
    """Indices of the characters of `text`; a character outside the vocabulary is a ValueError naming it."""
    index = {ch: i for i, ch in enumerate(vocabulary)}
    unknown = sorted(set(text) - set(index))
    if unknown:
        raise ValueError(f"characters not in the book's vocabulary: {''.join(unknown)!r}")
    return [index[ch] for ch in text]


def decode(char_ix, vocabulary):
    return "".join(vocabulary[int(i)] for i in char_ix)
