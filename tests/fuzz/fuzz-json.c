/* Fuzz target for spec/: parse arbitrary bytes; whatever parses must
 * serialize (pretty and compact), reparse to an equal tree, and survive
 * ab_spec_validate and the typed helpers without crashing.  A
 * linux.seccomp goes through agentbox's compiler (shim/lib/seccomp-bpf.c):
 * a program, when there is one, is whole instructions and fits the
 * kernel's limit. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "shim/lib/seccomp-bpf.h"
#include "spec/spec.h"

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);

static void
roundtrip (const struct ab_json *j, bool pretty)
{
  char *out = NULL;
  size_t len = 0;
  struct ab_json *k = NULL;
  ab_error_t err = NULL;

  /* A parsed tree is always writable and reads back the same. */
  if (ab_json_serialize (j, pretty, &out, &len, &err) < 0)
    abort ();
  if (ab_json_parse (out, len, "fuzz-out", &k, &err) < 0)
    abort ();
  if (!ab_json_equal (j, k))
    abort ();
  ab_json_free (k);
  free (out);
}

static void
compile_seccomp (const struct ab_json *profile)
{
  unsigned char *bpf = NULL;
  size_t len = 0;
  ab_error_t err = NULL;
  int r;

  if (profile == NULL)
    return;
  r = ab_seccomp_compile (profile, &bpf, &len, &err);
  if ((r == 0) != (bpf != NULL) || (r < 0) != (err != NULL))
    abort ();
  if (bpf && (len == 0 || len % 8 != 0 || len / 8 > 4096))
    abort ();
  free (bpf);
  ab_error_free (&err);
}

static void
exercise (struct ab_spec *s)
{
  ab_error_t err = NULL;
  struct ab_json *p;
  const char **v = NULL;
  size_t i;

  if (ab_spec_validate (s, &err) < 0)
    {
      ab_error_free (&err);
      return;
    }
  /* After validation the helpers must not fail on types. */
  for (i = 0; i < ab_spec_mount_count (s); i++)
    {
      struct ab_mount m;

      if (ab_spec_mount (s, i, &m, &err) < 0)
        abort ();
      free (m.options);
    }
  p = ab_spec_process (s);
  if (p)
    {
      if (ab_process_args (p, &v, &err) < 0)
        abort ();
      free (v);
      ab_process_drop_cap (p, "CAP_SYS_ADMIN");
      ab_process_setenv (p, "HTTP_PROXY", "x", &err);
      ab_error_free (&err);
    }
  compile_seccomp (ab_spec_seccomp (s));
  ab_spec_set_namespace (s, "network", NULL, &err);
  ab_error_free (&err);
  ab_spec_hook_add (s, "createRuntime", "/h", NULL, NULL, 5, &err);
  ab_error_free (&err);
  if (ab_spec_validate (s, &err) < 0)
    abort (); /* edits on a valid spec keep it valid */
}

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  struct ab_json *j = NULL;
  ab_error_t err = NULL;

  if (ab_json_parse ((const char *)data, size, "fuzz", &j, &err) < 0)
    {
      ab_error_free (&err);
      return 0;
    }
  roundtrip (j, true);
  roundtrip (j, false);
  if (j->type == AB_JSON_OBJECT)
    {
      struct ab_spec s = { .path = (char *)"fuzz", .root = j };

      exercise (&s);
      j = s.root;
    }
  ab_json_free (j);
  return 0;
}
