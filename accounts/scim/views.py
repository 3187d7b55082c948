"""The SCIM 2.0 HTTP adapter (RFC 7644) on DRF: ``/scim/v2/Users`` and ``/Users/{id}``,
plus ``ServiceProviderConfig`` and ``ResourceTypes``. Each view authenticates the
workspace's bearer token, parses, calls one service, and answers application/scim+json;
every error is an RFC 7644 §3.12 Error message. Left out of the OpenAPI schema (SCIM has
its own: ``/ServiceProviderConfig``)."""

from django.http import HttpResponse
from django.urls import reverse
from rest_framework import exceptions
from rest_framework.authentication import BaseAuthentication, get_authorization_header
from rest_framework.parsers import JSONParser
from rest_framework.permissions import BasePermission
from rest_framework.renderers import JSONRenderer
from rest_framework.response import Response
from rest_framework.throttling import SimpleRateThrottle
from rest_framework.views import APIView

from accounts.models import ScimToken
from accounts.scim import protocol, services
from accounts.scim.tokens import scim_token_authenticate
from core.errors import DomainError

SCIM_MEDIA_TYPE = "application/scim+json"


class ScimJSONRenderer(JSONRenderer):
    media_type = SCIM_MEDIA_TYPE


class ScimJSONParser(JSONParser):
    media_type = SCIM_MEDIA_TYPE


class ScimTokenAuthentication(BaseAuthentication):
    """``Authorization: Bearer <token>``: an active token of some workspace, or 401."""

    def authenticate(self, request):
        header = get_authorization_header(request).split()
        if not header or header[0].lower() != b"bearer" or len(header) != 2:
            raise exceptions.NotAuthenticated(
                "Send the workspace's SCIM token as Authorization: Bearer <token>."
            )
        row = scim_token_authenticate(header[1].decode(errors="replace"))
        if row is None:
            raise exceptions.AuthenticationFailed("The SCIM token is unknown or has been revoked.")
        return (None, row)

    def authenticate_header(self, request):
        return 'Bearer realm="scim"'


class HasScimToken(BasePermission):
    def has_permission(self, request, view):
        return isinstance(request.auth, ScimToken)


class ScimTokenThrottle(SimpleRateThrottle):
    """``API_RATE_SCIM`` per workspace token (an identity provider's sync is bursty)."""

    scope = "scim"

    def get_cache_key(self, request, view):
        token = request.auth
        ident = f"token-{token.pk}" if isinstance(token, ScimToken) else self.get_ident(request)
        return self.cache_format % {"scope": self.scope, "ident": ident}


class ScimView(APIView):
    authentication_classes = [ScimTokenAuthentication]
    permission_classes = [HasScimToken]
    renderer_classes = [ScimJSONRenderer, JSONRenderer]
    parser_classes = [ScimJSONParser, JSONParser]
    throttle_classes = [ScimTokenThrottle]
    schema = None

    def handle_exception(self, exc):
        if isinstance(exc, protocol.ScimError):
            status, scim_type, detail = exc.status, exc.scim_type, exc.message
        elif isinstance(exc, DomainError):
            status, scim_type, detail = exc.status, "", exc.message
        elif isinstance(exc, exceptions.ParseError):
            status, scim_type, detail = 400, "invalidSyntax", f"The body is not valid JSON: {exc.detail}"
        elif isinstance(exc, exceptions.APIException):
            status, scim_type, detail = exc.status_code, "", str(exc.detail)
        else:
            raise exc
        response = Response(protocol.error_body(status, detail, scim_type), status=status)
        if status == 401:
            response["WWW-Authenticate"] = 'Bearer realm="scim"'
        if isinstance(exc, exceptions.Throttled) and exc.wait:
            response["Retry-After"] = str(int(exc.wait))
        return response

    def token(self) -> ScimToken:
        return self.request.auth

    def location(self, identity) -> str:
        return self.request.build_absolute_uri(reverse("scim:user", kwargs={"scim_id": identity.scim_id}))

    def user_response(self, identity, *, status=200) -> Response:
        body = protocol.user_resource(identity, location=self.location(identity))
        response = Response(body, status=status)
        response["ETag"] = identity.etag
        if status == 201:
            response["Location"] = body["meta"]["location"]
        return response


class UsersView(ScimView):
    def get(self, request):
        rows = services.scim_user_list(
            token=self.token(), filter_expression=request.query_params.get("filter")
        )
        start = protocol.positive_int(
            request.query_params.get("startIndex"), name="startIndex", default=1, minimum=1
        )
        count = protocol.positive_int(
            request.query_params.get("count"), name="count", default=protocol.MAX_RESULTS, minimum=0
        )
        count = min(count, protocol.MAX_RESULTS)
        total = rows.count()
        page = list(rows[start - 1 : start - 1 + count]) if count else []
        resources = [protocol.user_resource(identity, location=self.location(identity)) for identity in page]
        return Response(protocol.list_response(resources, total=total, start_index=start))

    def post(self, request):
        identity = services.scim_user_create(token=self.token(), payload=request.data)
        return self.user_response(identity, status=201)


class UserView(ScimView):
    def get(self, request, scim_id):
        identity = services.access_scim_user(token=self.token(), scim_id=scim_id)
        if request.headers.get("If-None-Match") == identity.etag:
            response = HttpResponse(status=304)
            response["ETag"] = identity.etag
            return response
        return self.user_response(identity)

    def put(self, request, scim_id):
        identity = services.scim_user_replace(
            token=self.token(),
            scim_id=scim_id,
            payload=request.data,
            if_match=request.headers.get("If-Match"),
        )
        return self.user_response(identity)

    def patch(self, request, scim_id):
        identity = services.scim_user_patch(
            token=self.token(),
            scim_id=scim_id,
            payload=request.data,
            if_match=request.headers.get("If-Match"),
        )
        return self.user_response(identity)

    def delete(self, request, scim_id):
        services.scim_user_delete(
            token=self.token(), scim_id=scim_id, if_match=request.headers.get("If-Match")
        )
        return Response(status=204)


class ServiceProviderConfigView(ScimView):
    def get(self, request):
        return Response(
            protocol.service_provider_config(documentation_uri=request.build_absolute_uri("/api/docs/"))
        )


class ResourceTypesView(ScimView):
    def get(self, request):
        location = request.build_absolute_uri(reverse("scim:resource_types"))
        resource = protocol.user_resource_type(location=f"{location}/User")
        return Response(protocol.list_response([resource], total=1, start_index=1))
