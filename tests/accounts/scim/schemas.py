"""JSON Schemas of the SCIM messages the tests check responses against, transcribed from
RFC 7643 §4.1 and §8.7.1 (the User resource: attribute names, types, required and
multi-valued-ness) and RFC 7644 §3.4.2 (ListResponse), §3.12 (Error)."""

DATETIME = {"type": "string", "format": "date-time"}

META = {
    "type": "object",
    "required": ["resourceType", "location"],
    "properties": {
        "resourceType": {"type": "string"},
        "created": DATETIME,
        "lastModified": DATETIME,
        "location": {"type": "string", "format": "uri"},
        "version": {"type": "string"},
    },
}

MULTI_VALUED_STRING = {
    "type": "array",
    "items": {
        "type": "object",
        "required": ["value"],
        "properties": {
            "value": {"type": "string"},
            "display": {"type": "string"},
            "type": {"type": "string"},
            "primary": {"type": "boolean"},
        },
    },
}

USER = {
    "type": "object",
    "required": ["schemas", "id", "userName", "meta"],
    "properties": {
        "schemas": {
            "type": "array",
            "contains": {"const": "urn:ietf:params:scim:schemas:core:2.0:User"},
            "items": {"type": "string"},
        },
        "id": {"type": "string", "minLength": 1},
        "externalId": {"type": "string"},
        "userName": {"type": "string", "minLength": 1},
        "name": {
            "type": "object",
            "properties": {
                "formatted": {"type": "string"},
                "familyName": {"type": "string"},
                "givenName": {"type": "string"},
                "middleName": {"type": "string"},
                "honorificPrefix": {"type": "string"},
                "honorificSuffix": {"type": "string"},
            },
        },
        "displayName": {"type": "string"},
        "active": {"type": "boolean"},
        "emails": MULTI_VALUED_STRING,
        "meta": META,
    },
}

LIST_RESPONSE = {
    "type": "object",
    "required": ["schemas", "totalResults", "Resources", "startIndex", "itemsPerPage"],
    "properties": {
        "schemas": {"const": ["urn:ietf:params:scim:api:messages:2.0:ListResponse"]},
        "totalResults": {"type": "integer", "minimum": 0},
        "startIndex": {"type": "integer", "minimum": 1},
        "itemsPerPage": {"type": "integer", "minimum": 0},
        "Resources": {"type": "array", "items": USER},
    },
}

ERROR = {
    "type": "object",
    "required": ["schemas", "status"],
    "properties": {
        "schemas": {"const": ["urn:ietf:params:scim:api:messages:2.0:Error"]},
        # RFC 7644 §3.12: the HTTP status code as a string
        "status": {"type": "string", "pattern": "^[1-5][0-9][0-9]$"},
        "scimType": {
            "enum": [
                "invalidFilter",
                "tooMany",
                "uniqueness",
                "mutability",
                "invalidSyntax",
                "invalidPath",
                "noTarget",
                "invalidValue",
                "invalidVers",
                "sensitive",
            ]
        },
        "detail": {"type": "string"},
    },
}
