"""Start the test identity provider: ``python -m tests.sso_provider.serve CONFIG.json``.

The JSON file names the port, the OAuth client (id, secret, redirect URI) and the users
(username, password, email, first_name, last_name). The provider migrates its own SQLite
database, creates them, prints ``READY <issuer>`` and serves until it is stopped."""

import json
import os
import sys


def main(config_path: str) -> None:
    with open(config_path) as handle:
        config = json.load(handle)
    os.environ["DJANGO_SETTINGS_MODULE"] = "tests.sso_provider.settings"
    os.environ["IDP_DATABASE"] = config["database"]
    os.environ["IDP_RSA_KEY"] = config["rsa_key"]
    os.environ["IDP_ISSUER"] = f"http://127.0.0.1:{config['port']}/o"
    import django

    django.setup()
    from django.contrib.auth.models import User
    from django.core.management import call_command
    from oauth2_provider.models import Application

    call_command("migrate", verbosity=0)
    for person in config["users"]:
        user = User.objects.create_user(
            username=person["username"],
            password=person["password"],
            email=person.get("email", ""),
            first_name=person.get("first_name", ""),
            last_name=person.get("last_name", ""),
        )
        user.save()
    client = config["client"]
    Application.objects.create(
        name="Tandem",
        client_id=client["id"],
        client_secret=client["secret"],
        client_type=Application.CLIENT_CONFIDENTIAL,
        authorization_grant_type=Application.GRANT_AUTHORIZATION_CODE,
        redirect_uris=client["redirect_uri"],
        algorithm=Application.RS256_ALGORITHM,
        skip_authorization=True,
    )
    port = config["port"]
    print(f"READY {os.environ['IDP_ISSUER']}", flush=True)
    call_command("runserver", f"127.0.0.1:{port}", use_reloader=False, use_threading=True, verbosity=0)


if __name__ == "__main__":
    main(sys.argv[1])
