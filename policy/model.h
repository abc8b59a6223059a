/* agentbox's entity model on top of Cedar (docs/policy-cedar.md).
 *
 *   actions    Action::"FileOpen" (parent of FileOpenReadOnly and
 *              FileOpenReadWrite), "ProcessExec", "NetworkConnect",
 *              "HttpRequest", "HttpRewrite", "McpCall", "HostExec"
 *   resources  File::"/p", Dir::"/p/", Host::"name", Host::"*.zone",
 *              Host::"name:port", MCP::Server::"s", MCP::Tool::"t",
 *              Command::"argv string"
 *   principals Container::"id" in Project::"name"
 *
 * The hierarchy is built for each request: File::"/w/a/b" is in
 * Dir::"/w/a/", Dir::"/w/" and Dir::"/" (component boundaries:
 * /work does not contain /workx); Host::"a.b.example.com:443" is in
 * Host::"a.b.example.com", Host::"*.b.example.com", Host::"*.example.com"
 * and Host::"*.com" (label boundaries; "*.zone" does not contain the
 * apex "zone").  Host names are lower-cased and a trailing dot dropped, in
 * requests and (by ab_model_normalize) in policies. */
#ifndef AB_POLICY_MODEL_H
#define AB_POLICY_MODEL_H

#include "policy/cedar.h"

/* Parse `Type::"id"` (TYPE may have namespaces) into UID, strings in E's
 * arena. */
int ab_model_parse_uid (struct ab_cedar_entities *e, const char *text,
                        struct ab_cedar_uid *uid, ab_error_t *err);

/* Build REQ for PRINCIPAL (`Container::"id"` or NULL for an anonymous
 * container), ACTION (a bare name such as "FileOpenReadOnly", or
 * `Action::"..."`) and RESOURCE, adding the implied hierarchy to E.
 * PROJECT, if not NULL, becomes the principal's parent. */
int ab_model_request (struct ab_cedar_entities *e, const char *principal,
                      const char *project, const char *action,
                      const char *resource, struct ab_cedar_request *req,
                      ab_error_t *err);

/* Lower-case Host entity ids and drop trailing dots in every literal and
 * scope of S, so policies compare as the model's requests do. */
void ab_model_normalize (struct ab_cedar_set *s);

#endif
