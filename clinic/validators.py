"""Validators every layer's forms share."""

from datetime import date

from django.core.exceptions import ValidationError

#: No clinic record is dated outside these years; date arithmetic near 9999-12-31 overflows (a server
#: error) and a typo such as 20266 is better refused than stored.
EARLIEST_DATE = date(1900, 1, 1)
LATEST_DATE = date(2199, 12, 31)


def plausible_date(value):
    if value is not None and not EARLIEST_DATE <= value <= LATEST_DATE:
        raise ValidationError(
            f"Choose a date between {EARLIEST_DATE.year} and {LATEST_DATE.year}.", code="implausible_date"
        )
