"""Serve the test SAML IdP: ``python -m tests.saml_idp.serve CONFIG.json``.

Endpoints: ``/metadata`` (the IdP's metadata), ``/sso/redirect`` (HTTP-Redirect binding:
a login form), ``/sso/login`` (checks the password, answers with a signed response through
the HTTP-POST binding). The user ``expired`` gets an assertion whose validity ended half an
hour ago; ``tampered`` gets a response altered after signing (another e-mail address)."""

import html
import json
import sys
from socketserver import ThreadingMixIn
from urllib.parse import parse_qs
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

from saml2 import BINDING_HTTP_POST, BINDING_HTTP_REDIRECT
from saml2.config import IdPConfig
from saml2.metadata import create_metadata_string
from saml2.saml import AUTHN_PASSWORD_PROTECTED as PASSWORDPROTECTEDTRANSPORT
from saml2.saml import NAME_FORMAT_URI, NAMEID_FORMAT_PERSISTENT
from saml2.server import Server
from saml2.xmldsig import DIGEST_SHA256, SIG_RSA_SHA256

SP_METADATA = """<?xml version="1.0"?>
<md:EntityDescriptor xmlns:md="urn:oasis:names:tc:SAML:2.0:metadata" entityID="{entity_id}">
  <md:SPSSODescriptor protocolSupportEnumeration="urn:oasis:names:tc:SAML:2.0:protocol">
    <md:AssertionConsumerService Binding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST"
        Location="{acs_url}" index="0"/>
  </md:SPSSODescriptor>
</md:EntityDescriptor>
"""

LOGIN_PAGE = """<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Test SAML IdP</title></head>
<body><main><h1>Test SAML identity provider</h1>
<form method="post" action="/sso/login">
<p><label for="u">Username</label> <input id="u" name="username"></p>
<p><label for="p">Password</label> <input id="p" name="password" type="password"></p>
<input type="hidden" name="SAMLRequest" value="{request}">
<input type="hidden" name="RelayState" value="{relay}">
<button type="submit">Sign in to the SAML identity provider</button></form></main></body></html>"""


def _server(config: dict, *, lifetime_minutes: int) -> Server:
    base = config["base_url"]
    settings = {
        "entityid": f"{base}/metadata",
        "service": {
            "idp": {
                "endpoints": {"single_sign_on_service": [(f"{base}/sso/redirect", BINDING_HTTP_REDIRECT)]},
                "policy": {
                    "default": {"lifetime": {"minutes": lifetime_minutes}, "name_form": NAME_FORMAT_URI}
                },
                "name_id_format": [NAMEID_FORMAT_PERSISTENT],
                "want_authn_requests_signed": False,
            }
        },
        "key_file": config["key_file"],
        "cert_file": config["cert_file"],
        "xmlsec_binary": "/usr/bin/xmlsec1",
        "metadata": {"local": [config["sp_metadata_file"]]},
    }
    idp_config = IdPConfig()
    idp_config.load(settings)
    return Server(config=idp_config)


def application_for(config: dict):
    servers = {
        "normal": _server(config, lifetime_minutes=15),
        "expired": _server(config, lifetime_minutes=-30),
    }
    users = {person["username"]: person for person in config["users"]}

    def respond(start_response, status, body, content_type="text/html; charset=utf-8"):
        start_response(status, [("Content-Type", content_type)])
        return [body.encode()]

    def application(environ, start_response):
        path = environ["PATH_INFO"]
        if path == "/metadata":
            metadata = create_metadata_string(None, config=servers["normal"].config, valid=None)
            return respond(start_response, "200 OK", metadata.decode(), "application/samlmetadata+xml")
        if path == "/sso/redirect":
            query = parse_qs(environ.get("QUERY_STRING", ""))
            page = LOGIN_PAGE.format(
                request=html.escape(query.get("SAMLRequest", [""])[0]),
                relay=html.escape(query.get("RelayState", [""])[0]),
            )
            return respond(start_response, "200 OK", page)
        if path == "/sso/login" and environ["REQUEST_METHOD"] == "POST":
            length = int(environ.get("CONTENT_LENGTH") or 0)
            form = {
                key: values[0]
                for key, values in parse_qs(environ["wsgi.input"].read(length).decode()).items()
            }
            person = users.get(form.get("username", ""))
            if person is None or person["password"] != form.get("password"):
                return respond(start_response, "403 Forbidden", "<p>Wrong username or password.</p>")
            server = servers["expired" if person["username"] == "expired" else "normal"]
            request = server.parse_authn_request(form["SAMLRequest"], BINDING_HTTP_REDIRECT).message
            identity = {"mail": [person["email"]], "displayName": [person["name"]]}
            if not person["email"]:
                identity.pop("mail")
            response = server.create_authn_response(
                identity,
                in_response_to=request.id,
                destination=request.assertion_consumer_service_url,
                sp_entity_id=request.issuer.text,
                name_id_policy=None,
                userid=person["username"],
                authn={"class_ref": PASSWORDPROTECTEDTRANSPORT, "authn_auth": config["base_url"]},
                sign_response=True,
                sign_assertion=True,
                sign_alg=SIG_RSA_SHA256,
                digest_alg=DIGEST_SHA256,
            )
            response = str(response)
            if person["username"] == "tampered":
                response = response.replace(person["email"], "someone.else@acme.test")
            http_args = server.apply_binding(
                BINDING_HTTP_POST,
                response,
                request.assertion_consumer_service_url,
                form.get("RelayState", ""),
                response=True,
            )
            return respond(start_response, "200 OK", http_args["data"])
        return respond(start_response, "404 Not Found", "<p>Not found.</p>")

    return application


class _ThreadingServer(ThreadingMixIn, WSGIServer):
    daemon_threads = True


class _QuietHandler(WSGIRequestHandler):
    def log_message(self, *args):
        pass


def main(config_path: str) -> None:
    with open(config_path) as handle:
        config = json.load(handle)
    with open(config["sp_metadata_file"], "w") as handle:
        handle.write(SP_METADATA.format(entity_id=config["sp_entity_id"], acs_url=config["acs_url"]))
    application = application_for(config)
    server = make_server(
        "127.0.0.1", config["port"], application, server_class=_ThreadingServer, handler_class=_QuietHandler
    )
    print(f"READY {config['base_url']}", flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main(sys.argv[1])
