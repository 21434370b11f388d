"""Which forms the server has saved, for the page that comes next.

A form the browser keeps a copy of while it is being sent (``static/js/unsaved.js``) needs to learn that
it was saved, or it would offer the copy again. Views call ``remember`` with the form's submission id
when they save it; the next page rendered lists those ids (and forgets them) in a ``<meta>`` tag, and
the script drops its copies of them. Only ids, never what was typed.
"""

SESSION_KEY = "clinic:saved-submissions"
KEEP = 20


def remember(request, submission_id):
    if submission_id is None or not hasattr(request, "session"):
        return
    saved = [*request.session.get(SESSION_KEY, []), str(submission_id)][-KEEP:]
    request.session[SESSION_KEY] = saved


def pop(request):
    if not hasattr(request, "session") or SESSION_KEY not in request.session:
        return []
    return request.session.pop(SESSION_KEY)
