"""The "Acme Remote" demo workspace that ``manage.py seed_demo`` builds: ``people``
(workspace, skills, profiles) and ``activity`` (engagements, questions, an invitation)."""
