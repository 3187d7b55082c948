from django.apps import AppConfig


class MessagingConfig(AppConfig):
    name = "messaging"
    verbose_name = "Messaging"

    def ready(self):
        from messaging.chat import receivers as chat_receivers
        from messaging.qa import read_topics as qa_read_topics
        from messaging.qa import trust_sources as qa_trust_sources
        from messaging.routing import receivers as routing_receivers
        from messaging.routing import trust_sources as routing_trust_sources

        qa_trust_sources.register()
        routing_trust_sources.register()
        chat_receivers.connect()
        routing_receivers.connect()
        qa_read_topics.connect()
