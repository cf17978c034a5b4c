"""The clinic newsletter: issues (write, review, schedule, stop), their audience and results.

- service.newsletter.issues: create / edit / submit for review / approve / schedule /
  cancel / stop, and the list the admin shows.
- service.newsletter.schedule: pure time rules (send now, at a clinic time, at each
  subscriber's own hour on a date).
- service.newsletter.fanout: who gets an issue, how many, and queueing it (set-based).
- service.newsletter.reports: progress while it sends, results afterwards.
- service.newsletter.preview: the compose page's live preview and readability panel.
- service.newsletter.cli: `flask --app wsgi newsletter …` for operators.
"""
