"""Folding text for search: "Amélie Nguyễn-O'Brien" is found by `amelie`, `NGUYEN` or `obrien`.

Folding happens in Python, on the stored key and on the query alike, so every database matches the
same way: SQLite's LIKE folds only ASCII letters, and PostgreSQL's unaccent depends on the server's
rules file. A change here changes stored keys: ship a data migration that recomputes them.
"""

import unicodedata

# Letters that NFKD does not split into a base letter and a mark (casefold() already turns ß into ss).
LETTERS = str.maketrans(
    {"đ": "d", "ð": "d", "ħ": "h", "ı": "i", "ł": "l", "ø": "o", "ŧ": "t", "æ": "ae", "œ": "oe", "þ": "th"}
)


def _accented_script(char):
    """Latin, Greek and Cyrillic (with Latin Extended Additional, which holds Vietnamese): a mark
    there is an accent. Elsewhere (Japanese voicing marks, Indic vowel signs) it changes the letter."""
    return char < "\u0530" or "\u1e00" <= char <= "\u1eff"


def search_key(text):
    """Lower case, accents dropped, punctuation and spaces removed: "Nguyễn-O'Brien" → "nguyenobrien"."""
    folded = []
    base = ""
    for char in unicodedata.normalize("NFKD", (text or "").casefold()).translate(LETTERS):
        if unicodedata.category(char).startswith("M"):
            if not _accented_script(base):
                folded.append(char)
        elif char.isalnum():
            base = char
            folded.append(char)
    return unicodedata.normalize("NFC", "".join(folded))


def search_words(query):
    """The folded words of a query, empty ones (punctuation only) left out."""
    return [word for word in map(search_key, query.split()) if word]
