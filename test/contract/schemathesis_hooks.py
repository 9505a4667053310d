"""Schemathesis hooks for test/contract/schemathesis.test.ts.

A few rules of the API compare two fields or depend on the session, so JSON Schema cannot state
them (docs/api.md does). A schema-valid request that breaks only such a rule is answered
400 VALIDATION_ERROR naming the field; exactly those answers are accepted here, nothing else.
"""

import json
import re

import schemathesis

RULES_BEYOND_SCHEMA = {
    # chunkSize below 5 MiB only for a one-chunk file; metadata at most 2 KB in total
    "initiate": re.compile(r"^(chunkSize|metadata)$"),
    # a chunk number below the session's totalChunks
    "chunkUrls": re.compile(r"^chunks\[\d+\]\.chunkNumber$"),
    # ... and distinct chunk numbers in one batch record (JSON Schema compares whole items only)
    "recordChunks": re.compile(r"^chunks(\[\d+\]|\.\d+)\.chunkNumber$"),
    "recordChunk": re.compile(r"^chunkNumber$"),
    # the fileSha256 given at initiate, when one was
    "complete": re.compile(r"^fileSha256$"),
    # a cursor this API returned
    "listUploads": re.compile(r"^cursor$"),
}


def _fields(response):
    try:
        error = json.loads(response.content)["error"]
        return [f["field"] for f in error["details"]["fields"]] if error["code"] == "VALIDATION_ERROR" else []
    except (ValueError, KeyError, TypeError):
        return []


@schemathesis.hook
def filter_failure(context, failure, case, response):
    """Keeps every failure except a schema-valid request refused for a rule beyond the schema."""
    if failure.code != "ST202" or response.status_code != 400:
        return True
    rule = RULES_BEYOND_SCHEMA.get(case.operation.definition.raw.get("operationId"))
    fields = _fields(response)
    return not (rule and fields and all(rule.match(field) for field in fields))
