"""The Safe Harbor rules (45 CFR 164.514(b)(2)(i)) as functions of values, tested without a database."""

import re
import secrets

#: 3-digit ZIP areas with 20,000 people or fewer (2000 Census), which Safe Harbor requires to be given as
#: "000": the list in HHS, "Guidance Regarding Methods for De-identification of Protected Health
#: Information in Accordance with the HIPAA Privacy Rule" (2012), its Safe Harbor question on ZIP codes.
RESTRICTED_ZIP3 = frozenset(
    {
        "036",
        "059",
        "063",
        "102",
        "203",
        "556",
        "692",
        "790",
        "821",
        "823",
        "830",
        "831",
        "878",
        "879",
        "884",
        "890",
        "893",
    }
)
#: Ages above this are reported together as "90+" (164.514(b)(2)(i)(C)).
OLDEST_AGE = 89
OLDEST_GROUP = "90+"
_US_ZIP = re.compile(r"^\s*(\d{3})\d{2}(?:-?\d{4})?\s*$")
#: An ICD-10-CM code: letter, two characters, optional dot and up to four more (the code only, never text).
_ICD10 = re.compile(r"^[A-Z][0-9][0-9A-Z](?:\.?[0-9A-Z]{1,4})?$")


def study_id():
    """A random id with no relation to any id in Clinic: 64 random bits, fresh for every export."""
    return secrets.token_hex(8)


def zip3(postal_code):
    """The first three digits of a US ZIP code; "000" for the restricted areas; "" when the code is not a
    US ZIP (a foreign postcode is dropped altogether rather than shortened)."""
    match = _US_ZIP.match(postal_code or "")
    if not match:
        return ""
    prefix = match[1]
    return "000" if prefix in RESTRICTED_ZIP3 else prefix


def age_in_years(born, on):
    """Whole years from ``born`` to ``on`` (dates)."""
    return on.year - born.year - ((on.month, on.day) < (born.month, born.day))


def age_group(born, on):
    """The age on ``on`` as a number, or "90+" above 89."""
    age = age_in_years(born, on)
    return OLDEST_GROUP if age > OLDEST_AGE else age


def day_number(first_day, day):
    """Days from the first treatment's date (day 0) to ``day``; negative before it."""
    return (day - first_day).days


def icd10_codes(rows):
    """The ICD-10-CM codes of the intake's diagnosis rows, uppercase, sorted; anything that is not a code
    (a description typed into the code box) is left out, since no free text may leave."""
    found = set()
    for row in rows or []:
        code = str(row.get("code") or "").strip().upper()
        if _ICD10.match(code):
            found.add(code)
    return sorted(found)
