"""The one shape of a refused step in a treatment session: every reason, each shown as it is."""


class Refusal(Exception):
    def __init__(self, *reasons):
        self.reasons = [r for r in reasons if r]
        super().__init__(" ".join(self.reasons))
