"""What the Q&A services tell the layers built on them (true decoupling: the services
do not know who listens; "ask the network" routing is one, connected in
``MessagingConfig.ready()`` by ``messaging.routing.receivers``).

All are sent synchronously inside the service's transaction with the question row
locked (``question_asked``: just created), so a listener's writes commit or roll back
with the question's.

- ``question_asked(question)``: a new question exists (its skills too).
- ``answer_posted(question, answer)``: an answer was posted (the question's state is set).
- ``question_settled(question)``: an answer was accepted or the question resolved.
"""

from django.dispatch import Signal

question_asked = Signal()
answer_posted = Signal()
question_settled = Signal()
