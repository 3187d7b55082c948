from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "accounts"
    verbose_name = "Accounts and workspaces"

    def ready(self):
        from . import read_topics, signals

        signals._connect_credential_changes()
        read_topics.connect()
