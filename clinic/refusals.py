"""The one shape of a refused step, in every layer: every reason, each shown to the user as it is.

A ValueError, so code that already catches ValueError around a step still does. Each domain names its
own subclass (BookingError, ChartingError, NoteError, LedgerError, ...) so a caller catches only what
its step can refuse; views show ``reasons`` one per line."""


class Refusal(ValueError):
    def __init__(self, *reasons):
        self.reasons = [r for r in reasons if r]
        super().__init__(" ".join(self.reasons))
