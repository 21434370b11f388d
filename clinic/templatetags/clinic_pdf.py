"""Template filters for the PDF templates (WeasyPrint)."""

from django import template
from django.utils.safestring import mark_safe

register = template.Library()


@register.filter
def css_string(text):
    """``text`` as the inside of a CSS string for ``@page`` margin boxes: anything but plain letters,
    digits and spaces becomes a CSS hex escape, so a name with a quote or a backslash cannot break out
    of the string (``escapejs`` would print O'Brien as "Ou0027Brien": CSS has no \\u escapes)."""
    out = []
    for char in str(text):
        if char.isascii() and (char.isalnum() or char == " "):
            out.append(char)
        else:
            out.append(f"\\{ord(char):x} ")
    return mark_safe("".join(out))  # noqa: S308  (every character that could matter is escaped above)
