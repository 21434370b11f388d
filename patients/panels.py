"""Parts of the patient pages owned here that a higher layer fills in, without this layer importing it.

A page names itself ("screening_review"); a layer above registers a function ``(patient, user) -> dict``
for it in its AppConfig.ready() (assessments adds the rating-scale courses to the screening review),
and the view merges what every contributor returns into its template context.
"""

from collections import defaultdict

_CONTRIBUTORS = defaultdict(list)


def contribute(page):
    """Register the decorated ``(patient, user) -> dict`` as a contributor to ``page``."""

    def register(function):
        _CONTRIBUTORS[page].append(function)
        return function

    return register


def context_for(page, patient, user):
    context = {}
    for contributor in _CONTRIBUTORS[page]:
        context.update(contributor(patient, user))
    return context
