"""Reminder e-mails, one job per module (imports go one way, top to bottom):

- ``upkeep``: keeps the reminder rows in step with visits, series, maintenance and consent. The
  only module the booking functions import.
- ``outbox``: which rows are due; the sweep that claims them and hands their ids to a publisher;
  recovery of rows whose message or worker was lost; whether a row is still worth sending;
  staff's "send again".
- ``heartbeat``: when the sweep last ran (a row and its copy in the cache), for staff's warning.
- ``mail``: the e-mail itself (text, HTML, an .ics file built with ``icalendar``).
- ``tokens``: signing and checking the links in e-mails (no booking here).
- ``sending``: sends claimed rows, a batch over one mail-server connection; attempts and retries.
- ``patient_requests``: what patients ask the front desk through their links.
- ``actions``: what a link does when its button is pressed (calls the booking functions).
- ``health_check``: the pre-visit health check: its reminder rows (made by the sweep), its link's
  page and answer (a new screening reported by the patient), the confirmation e-mail.

``scheduling.tasks`` wraps ``outbox`` and ``sending`` as Celery tasks taking ids.
"""
