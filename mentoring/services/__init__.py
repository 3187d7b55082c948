"""Writes for the engagement domain. Split by topic; import from the submodule:

- ``mentoring.services.requests``: a seeker's mentoring requests
- ``mentoring.services.invitations``: ranked invitations and their cascade (accept, decline, clarify, expire)
- ``mentoring.services.engagements``: the engagement state machine, group engagements,
  participants, extension, milestones, moves by the calendar
- ``mentoring.services.commitments``: commitments kept, missed or released
- ``mentoring.services.feedback``: double-blind wrap-up feedback

Every service takes keyword-only arguments, owns its transaction and raises
``mentoring.errors`` (ValidationFailed, NotFound, PermissionDenied, Conflict).
"""
