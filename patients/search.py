"""Finding a patient: the patient list's search and the type-ahead patient picker use the same rules.

What was typed never goes into an address: a form posts it, the words are kept in the user's session
under a short random key, and the page that lists the matches is addressed by that key (`?s=…`). An
address is written to the web server's and the proxy's access logs and to the browser's history, and
a name, a date of birth or a phone number there is PHI in a log file.
"""

import re
import secrets
from datetime import datetime

from clinic.text import search_words
from patients.models import Patient, digits_of

DATE_FORMATS = ("%Y-%m-%d", "%m/%d/%Y", "%m-%d-%Y", "%m.%d.%Y")
#: The picker never lists more patients than this; more matches ask for more of the name.
PICK_LIMIT = 10
#: Fewer folded letters than this find too many people to be worth listing.
PICK_MIN_LENGTH = 2
#: Where a session keeps its searches: {key: words}, oldest first.
SESSION_KEY = "patients:searches"
#: A session remembers this many searches (back and forward through older result pages keep working).
REMEMBERED_SEARCHES = 20
#: Longer input is cut: no name, date or phone number is this long.
MAX_QUERY_LENGTH = 200


def _as_date(text):
    for fmt in DATE_FORMATS:
        try:
            return datetime.strptime(text, fmt).date()
        except ValueError:
            continue
    return None


def remember_search(session, words):
    """Keep the words in the session and return the key that stands for them in an address. The same
    words get the same key back, so searching again does not grow the session."""
    words = " ".join(words.split())[:MAX_QUERY_LENGTH]
    searches = dict(session.get(SESSION_KEY, {}))
    key = next((key for key, kept in searches.items() if kept == words), None) or secrets.token_urlsafe(6)
    searches.pop(key, None)  # back in last place: the newest search is the last one forgotten
    searches[key] = words
    session[SESSION_KEY] = dict(list(searches.items())[-REMEMBERED_SEARCHES:])
    return key


def recall_search(session, key):
    """The words kept under `key`, or "" for a key this session does not have (another browser, or a
    session that ended)."""
    return session.get(SESSION_KEY, {}).get(key or "", "")


def search_patients(queryset, query):
    """Name words, a date of birth (2001-04-30 or 04/30/2001) or part of a phone number.

    Each name word must appear in the legal or preferred names, ignoring case, accents and
    punctuation: `amelie`, `NGUYEN`, `o'brien` and `nguyen-o` all find "Amélie Nguyễn-O'Brien".
    """
    query = query.strip()
    if not query:
        return queryset
    born = _as_date(query)
    if born:
        return queryset.filter(date_of_birth=born)
    if not re.search(r"[^\d\s()+.\-]", query):
        digits = digits_of(query)
        if len(digits) >= 3:
            return queryset.filter(phone_digits__contains=digits)
    words = search_words(query)
    if not words:
        return queryset.none()
    # Case-sensitive `contains` on the folded column: plain LIKE, which PostgreSQL's trigram index
    # serves (icontains would wrap the column in UPPER() and read the whole table).
    for word in words:
        queryset = queryset.filter(search_name__contains=word)
    return queryset


def pick(query):
    """What the patient picker shows for `query`: at most PICK_LIMIT patients, and whether there are
    more. An empty or too short query lists nobody."""
    query = query.strip()
    if len("".join(search_words(query))) < PICK_MIN_LENGTH and not _as_date(query):
        return {"query": query, "matches": [], "more": False, "too_short": bool(query)}
    found = list(search_patients(Patient.objects.all(), query)[: PICK_LIMIT + 1])
    return {
        "query": query,
        "matches": found[:PICK_LIMIT],
        "more": len(found) > PICK_LIMIT,
        "too_short": False,
        "limit": PICK_LIMIT,
    }
