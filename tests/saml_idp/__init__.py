"""A real SAML 2.0 identity provider for the company sign-in tests: pysaml2's IdP
(``saml2.server.Server``, signing with Debian's ``xmlsec1``) behind a small WSGI app,
started by ``running.py`` in a subprocess on a free port. Nothing in Tandem imports it."""
