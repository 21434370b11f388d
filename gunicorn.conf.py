"""gunicorn's settings for Clinic, read by ``gunicorn -c gunicorn.conf.py clinic.wsgi`` (and by a plain
``gunicorn`` started in this folder). Command-line options given as well win over these.

The access log leaves out the query string and the referrer: an address's query can hold what was
typed into a GET form, and a name or a date of birth there would be PHI in a log file. Clinic's own
forms that take names post them (patients/search.py), so this is the second line of defence.
"""

# Gunicorn's default is '%(h)s %(l)s %(u)s %(t)s "%(r)s" %(s)s %(b)s "%(f)s" "%(a)s"': %(r)s is the
# request line with its query string and %(f)s the referring address with its own. %(U)s is the path
# alone; %(L)s the time taken in seconds.
access_log_format = '%(h)s %(l)s %(u)s %(t)s "%(m)s %(U)s %(H)s" %(s)s %(b)s %(L)s "%(a)s"'
