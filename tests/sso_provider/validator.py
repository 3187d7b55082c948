from oauth2_provider.oauth2_validators import OAuth2Validator


class ClaimsValidator(OAuth2Validator):
    """Releases e-mail and name. A user whose last name is "unverified" gets
    ``email_verified: false``; one whose first name is "noemail" gets no e-mail claim."""

    oidc_claim_scope = None  # release every claim below to every client

    def get_additional_claims(self, request):
        user = request.user
        claims = {"name": f"{user.first_name} {user.last_name}".strip()}
        if user.first_name != "noemail":
            claims["email"] = user.email
            claims["email_verified"] = user.last_name != "unverified"
        return claims
