"""``{% load roles %}``: ask whether the user has a capability named in clinic/roles.py.

    {% if user|can:"CHART_SESSION" %}…{% endif %}
    {% if session.status == "charting" and user|can:"SIGN_SESSION" %}…{% endif %}

The argument is the capability's name (a constant of clinic/roles.py, listed in
``roles.CAPABILITIES``), never "app_label.codename": templates do not change when a model moves to
another app. An unknown name raises TemplateSyntaxError when the template renders. (Django's ``{% if %}``
turns an error inside ``and``/``or``/``not`` into False, so clinic/tests/test_roles.py also reads every
template and checks each name it uses.)
"""

from django import template

from clinic import roles

register = template.Library()


def permission_for(name):
    """The permission string of the capability called ``name``; TemplateSyntaxError if there is none."""
    try:
        return roles.CAPABILITIES[name]
    except (KeyError, TypeError):
        raise template.TemplateSyntaxError(
            f"{name!r} is not a capability in clinic/roles.py (roles.CAPABILITIES); "
            'use a constant\'s name there, e.g. user|can:"VIEW_PATIENT".'
        ) from None


@register.filter
def can(user, name):
    """True when ``user`` has the capability called ``name`` (a name from clinic/roles.py)."""
    permission = permission_for(name)
    has_perm = getattr(user, "has_perm", None)
    return bool(has_perm and has_perm(permission))
