from django.apps import AppConfig


class MessagingConfig(AppConfig):
    name = "messaging"
    verbose_name = "Messaging"

    def ready(self):
        from messaging.chat import receivers
        from messaging.qa import trust_sources

        trust_sources.register()
        receivers.connect()
