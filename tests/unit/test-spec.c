/* Unit tests for spec/: the lossless JSON tree, config.json load/validate,
 * atomic write and the typed helpers. */
#include <errno.h>
#include <dirent.h>
#include <fcntl.h>
#include <linux/fs.h>
#include <signal.h>
#include <stdint.h>
#include <sys/ioctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include <yajl/yajl_parse.h>

#include "lib/buf.h"
#include "lib/cleanup.h"
#include "spec/spec.h"
#include "tests/unit/unit.h"

#define FIXTURES "tests/fixtures/spec/"

/* ---- helpers ---- */

static char *
slurp (const char *path, size_t *len)
{
  struct ab_buf b = AB_BUF_INIT;
  char chunk[65536];
  ssize_t n;
  int fd = open (path, O_RDONLY | O_CLOEXEC);

  if (fd < 0)
    return NULL;
  while ((n = read (fd, chunk, sizeof (chunk))) > 0)
    ab_buf_append (&b, chunk, (size_t)n);
  close (fd);
  if (len)
    *len = b.len;
  return ab_buf_steal (&b);
}

static int
spit (const char *path, const char *data, size_t len, mode_t mode)
{
  int fd = open (path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
  ssize_t n;

  if (fd < 0)
    return -1;
  n = write (fd, data, len);
  close (fd);
  return n == (ssize_t)len ? 0 : -1;
}

static struct ab_json *
parse (const char *text)
{
  struct ab_json *j = NULL;
  cleanup_error ab_error_t err = NULL;

  if (ab_json_parse (text, strlen (text), "t.json", &j, &err) < 0)
    {
      printf ("# parse failed: %s\n", err->msg);
      return NULL;
    }
  return j;
}

/* The error message for TEXT, or NULL if it parsed. */
static char *
parse_err (const char *text, size_t len)
{
  struct ab_json *j = NULL;
  cleanup_error ab_error_t err = NULL;

  if (ab_json_parse (text, len, "t.json", &j, &err) == 0)
    {
      ab_json_free (j);
      return NULL;
    }
  return strdup (err->msg);
}

static char *
ser (const struct ab_json *j, bool pretty)
{
  char *out = NULL;
  size_t len;
  cleanup_error ab_error_t err = NULL;

  if (ab_json_serialize (j, pretty, &out, &len, &err) < 0)
    printf ("# serialize failed: %s\n", err->msg);
  return out;
}

/* A token stream recorded with yajl directly (not through spec/): keys,
 * strings and the raw text of numbers in document order.  Two documents
 * with the same stream have the same keys in the same order and the same
 * values byte for byte. */
static int
tk_put (void *ctx, const char *tag, const void *s, size_t len)
{
  ab_buf_puts (ctx, tag);
  ab_buf_append (ctx, s, len);
  ab_buf_puts (ctx, "\n");
  return 1;
}
static int
tk_null (void *ctx)
{
  return tk_put (ctx, "null", "", 0);
}
static int
tk_bool (void *ctx, int b)
{
  return tk_put (ctx, b ? "true" : "false", "", 0);
}
static int
tk_num (void *ctx, const char *s, size_t l)
{
  return tk_put (ctx, "n:", s, l);
}
static int
tk_str (void *ctx, const unsigned char *s, size_t l)
{
  return tk_put (ctx, "s:", s, l);
}
static int
tk_key (void *ctx, const unsigned char *s, size_t l)
{
  return tk_put (ctx, "k:", s, l);
}
static int
tk_om (void *ctx)
{
  return tk_put (ctx, "{", "", 0);
}
static int
tk_cm (void *ctx)
{
  return tk_put (ctx, "}", "", 0);
}
static int
tk_oa (void *ctx)
{
  return tk_put (ctx, "[", "", 0);
}
static int
tk_ca (void *ctx)
{
  return tk_put (ctx, "]", "", 0);
}
static const yajl_callbacks tk_cbs
    = { tk_null, tk_bool, NULL,  NULL,  tk_num, tk_str,
        tk_om,   tk_key,  tk_cm, tk_oa, tk_ca };

static char *
tokens (const char *data, size_t len)
{
  struct ab_buf b = AB_BUF_INIT;
  yajl_handle h = yajl_alloc (&tk_cbs, NULL, &b);
  bool ok = yajl_parse (h, (const unsigned char *)data, len) == yajl_status_ok
            && yajl_complete_parse (h) == yajl_status_ok;

  yajl_free (h);
  if (!ok)
    {
      ab_buf_free (&b);
      return NULL;
    }
  return ab_buf_steal (&b);
}

/* Parse TEXT, serialize, reparse: equal trees, same token stream, and
 * (when the original was written in that form) the same bytes. */
static void
check_roundtrip (const char *name, const char *text, size_t len, bool pretty,
                 bool same_bytes)
{
  cleanup_json struct ab_json *a = NULL, *b = NULL;
  cleanup_error ab_error_t err = NULL;
  cleanup_free char *out = NULL, *t1 = NULL, *t2 = NULL;
  size_t olen = 0;

  CHECK (ab_json_parse (text, len, name, &a, &err) == 0);
  if (a == NULL)
    {
      printf ("# %s: %s\n", name, err ? err->msg : "?");
      return;
    }
  CHECK (ab_json_serialize (a, pretty, &out, &olen, &err) == 0);
  CHECK (out && strlen (out) == olen);
  CHECK (ab_json_parse (out, olen, name, &b, &err) == 0);
  CHECK (ab_json_equal (a, b));
  t1 = tokens (text, len);
  t2 = tokens (out, olen);
  CHECK (t1 != NULL && t2 != NULL);
  CHECK_STR (t2, t1);
  if (same_bytes)
    CHECK (olen == len && memcmp (out, text, len) == 0);
}

static struct ab_spec *
load_fixture (const char *name)
{
  struct ab_spec *s = NULL;
  cleanup_error ab_error_t err = NULL;

  if (ab_spec_load_file (name, &s, &err) < 0)
    printf ("# load %s: %s\n", name, err->msg);
  return s;
}

/* The validate error for a spec with TEXT as config.json. */
static char *
validate_err (const char *text)
{
  struct ab_spec s = { .path = (char *)"/b/config.json" };
  cleanup_error ab_error_t err = NULL;
  char *r = NULL;

  s.root = parse (text);
  if (s.root == NULL)
    return strdup ("(did not parse)");
  if (ab_spec_validate (&s, &err) < 0)
    r = strdup (err->msg);
  ab_json_free (s.root);
  return r;
}

static char *
make_tmpdir (void)
{
  char tmpl[] = "/tmp/ab-test-spec-XXXXXX";

  return mkdtemp (tmpl) ? strdup (tmpl) : NULL;
}

static void
rm_rf (const char *dir)
{
  char *cmd = NULL;

  if (asprintf (&cmd, "rm -rf '%s'", dir) >= 0)
    {
      if (system (cmd) != 0)
        printf ("# could not remove %s\n", dir);
      free (cmd);
    }
}

/* Names in DIR other than . and .. */
static int
count_entries (const char *dir)
{
  DIR *d = opendir (dir);
  struct dirent *e;
  int n = 0;

  if (d == NULL)
    return -1;
  while ((e = readdir (d)))
    if (strcmp (e->d_name, ".") && strcmp (e->d_name, ".."))
      n++;
  closedir (d);
  return n;
}

/* ---- the tree ---- */

TEST (tree_duplicates_and_set)
{
  cleanup_json struct ab_json *j = parse ("{\"a\":1,\"b\":2,\"a\":3}");
  cleanup_free char *out = NULL;

  CHECK (j && j->u.object.len == 3);
  if (!j)
    return;
  CHECK_STR (ab_json_get (j, "a")->u.number, "3"); /* last wins */
  out = ser (j, false);
  CHECK_STR (out, "{\"a\":1,\"b\":2,\"a\":3}");
  CHECK (ab_json_set (j, "a", ab_json_new_string ("x")) == 0);
  free (out);
  out = ser (j, false);
  CHECK_STR (out, "{\"a\":\"x\",\"b\":2}"); /* first replaced, rest gone */
  CHECK (ab_json_set (j, "c", ab_json_new_bool (false)) == 0);
  CHECK (ab_json_remove (j, "b") == 1);
  CHECK (ab_json_remove (j, "zz") == 0);
  free (out);
  out = ser (j, false);
  CHECK_STR (out, "{\"a\":\"x\",\"c\":false}");
  CHECK (ab_json_ensure_array (j, "a") == NULL); /* a string is there */
  CHECK (ab_json_ensure_object (j, "o") != NULL);
  CHECK (ab_json_ensure_object (j, "o") == ab_json_get (j, "o"));
}

TEST (tree_arrays_copy_equal)
{
  cleanup_json struct ab_json *a = ab_json_new_array (), *c = NULL;
  cleanup_json struct ab_json *x = parse ("[1e3]"), *y = parse ("[1000]");
  cleanup_free char *out = NULL;

  CHECK (ab_json_append (a, ab_json_new_int (2)) == 0);
  CHECK (ab_json_insert (a, 0, ab_json_new_string ("first")) == 0);
  CHECK (ab_json_append (a, ab_json_new_null ()) == 0);
  CHECK (ab_json_insert (a, 9, ab_json_new_null ()) < 0);
  ab_json_array_remove (a, 1);
  out = ser (a, false);
  CHECK_STR (out, "[\"first\",null]");
  c = ab_json_copy (a);
  CHECK (ab_json_equal (a, c));
  CHECK (ab_json_append (c, ab_json_new_bool (true)) == 0);
  CHECK (!ab_json_equal (a, c));
  /* Numbers compare by text: the tree is lossless, not numeric. */
  CHECK (!ab_json_equal (x, y));
  CHECK_STR (ab_json_type_name (AB_JSON_NUMBER), "number");
  CHECK (ab_json_string (a->u.array.items[0]) != NULL);
  CHECK (ab_json_string (a->u.array.items[1]) == NULL);
}

TEST (serialize_pretty_shape)
{
  cleanup_json struct ab_json *j
      = parse ("{\"a\":[],\"b\":{},\"c\":[1,{\"d\":\"x/\\u0001\\n\"}]}");
  cleanup_free char *out = ser (j, true);

  CHECK_STR (out, "{\n\t\"a\": [],\n\t\"b\": {},\n\t\"c\": [\n\t\t1,\n\t\t{\n"
                  "\t\t\t\"d\": \"x/\\u0001\\n\"\n\t\t}\n\t]\n}");
}

TEST (serialize_rejects_bad_nodes)
{
  cleanup_json struct ab_json *a = ab_json_new_array ();
  cleanup_json struct ab_json *b = ab_json_new_array ();
  cleanup_error ab_error_t err = NULL;
  char *out = NULL;
  size_t len;

  ab_json_append (a, ab_json_new_string ("bad \xff utf8"));
  CHECK (ab_json_serialize (a, false, &out, &len, &err) < 0);
  CHECK_CONTAINS (err ? err->msg : NULL, "UTF-8");
  ab_json_append (b, ab_json_new_number ("12abc"));
  CHECK (ab_json_serialize (b, false, &out, &len, &err) < 0);
  CHECK_CONTAINS (err ? err->msg : NULL, "invalid number");
}

/* ---- round trips ---- */

TEST (roundtrip_runc_spec)
{
  cleanup_free char *dir = make_tmpdir (), *cmd = NULL, *path = NULL;
  cleanup_free char *text = NULL;
  size_t len = 0;
  struct ab_spec *s = NULL;
  cleanup_error ab_error_t err = NULL;
  int rc;

  if (dir == NULL || asprintf (&cmd, "cd '%s' && runc spec", dir) < 0
      || asprintf (&path, "%s/config.json", dir) < 0)
    {
      CHECK (!"tmpdir");
      return;
    }
  rc = system (cmd);
  if (rc != 0)
    {
      rm_rf (dir);
      CHECK (!"runc spec failed (is runc installed?)");
      return;
    }
  text = slurp (path, &len);
  CHECK (text != NULL && len > 100);
  /* Our pretty form is Go's MarshalIndent with tabs: identical bytes. */
  check_roundtrip (path, text, len, true, true);
  CHECK (ab_spec_load (dir, &s, &err) == 0);
  CHECK (s && ab_spec_validate (s, &err) == 0);
  if (err)
    printf ("# %s\n", err->msg);
  /* Writing it back unedited changes nothing. */
  CHECK (s && ab_spec_write (s, &err) == 0);
  {
    size_t len2 = 0;
    cleanup_free char *again = slurp (path, &len2);

    CHECK (again && len2 == len && memcmp (again, text, len) == 0);
  }
  ab_spec_free (s);
  rm_rf (dir);
}

TEST (roundtrip_podman_fixture)
{
  size_t len = 0;
  cleanup_free char *text = slurp (FIXTURES "podman.json", &len);
  struct ab_spec *s;
  cleanup_error ab_error_t err = NULL;

  CHECK (text != NULL);
  if (!text)
    return;
  /* podman writes compact JSON: compact output is byte-identical. */
  check_roundtrip ("podman.json", text, len, false, true);
  check_roundtrip ("podman.json", text, len, true, false);
  s = load_fixture (FIXTURES "podman.json");
  CHECK (s && ab_spec_validate (s, &err) == 0);
  CHECK_STR (s ? ab_spec_annotation (s, "io.container.manager") : NULL,
             "libpod");
  CHECK_STR (s ? ab_spec_annotation (s, "io.example/owner") : NULL,
             "Zo\xc3\xab \xf0\x9f\x9a\x80");
  ab_spec_free (s);
}

TEST (roundtrip_containerd_fixture)
{
  size_t len = 0;
  cleanup_free char *text = slurp (FIXTURES "containerd.json", &len);
  struct ab_spec *s;
  cleanup_error ab_error_t err = NULL;
  struct ab_json *x;

  CHECK (text != NULL);
  if (!text)
    return;
  check_roundtrip ("containerd.json", text, len, true, true);
  check_roundtrip ("containerd.json", text, len, false, false);
  s = load_fixture (FIXTURES "containerd.json");
  CHECK (s && ab_spec_validate (s, &err) == 0);
  if (!s)
    return;
  x = ab_json_get (s->root, "x-custom");
  CHECK_STR (ab_json_get (x, "big")->u.number, "18446744073709551615");
  CHECK_STR (ab_json_get (x, "neg")->u.number, "-1.5e10");
  CHECK_STR (ab_json_get (x, "tiny")->u.number, "4.9E-324");
  CHECK_STR (ab_json_get (x, "zero")->u.number, "-0");
  CHECK (ab_json_get (ab_json_get (s->root, "linux"), "intelRdt") != NULL);
  CHECK_STR (ab_spec_annotation (s, "io.kubernetes.cri.container-type"),
             "container");
  ab_spec_free (s);
}

/* ---- bad input ---- */

TEST (parse_errors_have_line_col)
{
  static const struct
  {
    const char *in;
    const char *want;
  } cases[] = {
    { "{\"a\": x}", "t.json:1:7: lexical error: invalid char" },
    { "{\n  \"a\": 1,\n  \"b\" 2\n}", "t.json:3:7: parse error: object key "
                                      "and value must be separated" },
    { "{\"a\": [1, 2", "t.json:1:12: parse error: premature EOF" },
    { "{\"a\": \"tru", "t.json:1:11: parse error: premature EOF" },
    { "{} x", "t.json:1:4: parse error: trailing garbage" },
    { "{}{}", "t.json:1:3: parse error: trailing garbage" },
    { "[1,]", "t.json:1:4: parse error: unallowed token" },
    { "", "t.json:1:1: empty document" },
    { " \n\t", "t.json:2:2: empty document" },
    { "// c\n{}", "t.json:1:1: lexical error: probable comment" },
    { "[\"\\u0000\"]", "t.json:1:3: \\u0000 is not allowed" },
    { "[\"a\\ud800\"]", "t.json:1:4: unpaired surrogate" },
    { "[\"\\udc00\\ud800\"]", "t.json:1:3: unpaired surrogate" },
    { "[\"\xff\"]", "t.json:1:3: invalid UTF-8" },
    { "{\"k\":\"\xc0\x80\"}", "t.json:1:7: invalid UTF-8" },   /* overlong */
    { "[\"\xed\xa0\x80\"]", "t.json:1:3: invalid UTF-8" },     /* surrogate */
    { "[\"\xf4\x90\x80\x80\"]", "t.json:1:3: invalid UTF-8" }, /* >10FFFF */
    { "[\"\xc3\"]", "t.json:1:3: invalid UTF-8" },             /* truncated */
    { "[\"\xc3\xa9\", x]", "t.json:1:7: lexical error" }, /* col in chars */
  };
  size_t i;

  for (i = 0; i < sizeof (cases) / sizeof (cases[0]); i++)
    {
      cleanup_free char *msg = parse_err (cases[i].in, strlen (cases[i].in));

      CHECK_CONTAINS (msg, cases[i].want);
    }
}

TEST (parse_rejects_nul_bytes)
{
  static const char in[] = "{\"a\": \"x\0y\"}";
  cleanup_free char *msg = parse_err (in, sizeof (in) - 1);
  cleanup_free char *msg2 = parse_err ("{}\0", 3);

  CHECK_CONTAINS (msg, "t.json:1:9: NUL byte in input");
  CHECK_CONTAINS (msg2, "t.json:1:3: NUL byte");
}

TEST (parse_depth_limit)
{
  struct ab_buf b = AB_BUF_INIT;
  cleanup_free char *msg = NULL, *out = NULL;
  cleanup_json struct ab_json *j = NULL;
  cleanup_error ab_error_t err = NULL;
  int i;

  for (i = 0; i < 512; i++)
    ab_buf_puts (&b, "[");
  for (i = 0; i < 512; i++)
    ab_buf_puts (&b, "]");
  CHECK (ab_json_parse (b.data, b.len, "t.json", &j, &err) == 0);
  /* yajl_gen alone stops at 128 levels; ours must write what it read. */
  out = ser (j, true);
  CHECK (out != NULL);
  ab_buf_free (&b);
  for (i = 0; i < 513; i++)
    ab_buf_puts (&b, "[");
  for (i = 0; i < 513; i++)
    ab_buf_puts (&b, "]");
  msg = parse_err (b.data, b.len);
  CHECK_CONTAINS (msg, "t.json:1:513: nesting deeper than 512 levels");
  ab_buf_free (&b);
}

TEST (parse_file_errors)
{
  cleanup_free char *dir = make_tmpdir (), *path = NULL;
  struct ab_json *j = NULL;
  cleanup_error ab_error_t err = NULL;
  struct ab_spec *s = NULL;

  CHECK (ab_spec_load ("/nonexistent-ab-bundle", &s, &err) < 0);
  CHECK_STR (err ? err->msg : NULL,
             "open /nonexistent-ab-bundle/config.json: No such file or "
             "directory");
  CHECK (err && err->status == ENOENT);
  if (dir == NULL || asprintf (&path, "%s/config.json", dir) < 0)
    return;
  spit (path, "", 0, 0644);
  CHECK (ab_json_parse_file (path, &j, &err) < 0);
  CHECK_CONTAINS (err ? err->msg : NULL, ":1:1: empty document");
  CHECK_CONTAINS (err ? err->msg : NULL, path);
  spit (path, "[1,2]", 5, 0644);
  CHECK (ab_spec_load (dir, &s, &err) < 0);
  CHECK_CONTAINS (err ? err->msg : NULL, "expected object, got array");
  {
    static const char bad[]
        = "{\n\"ociVersion\": \"1\",\n\"process\": {\"args\": [1,}\n}";

    spit (path, bad, strlen (bad), 0644);
  }
  CHECK (ab_spec_load (dir, &s, &err) < 0);
  CHECK_CONTAINS (err ? err->msg : NULL,
                  "config.json:3:24: parse error: unallowed token");
  rm_rf (dir);
}

TEST (validate_wrong_types)
{
  static const struct
  {
    const char *in;
    const char *want; /* NULL: valid */
  } cases[] = {
    { "{\"ociVersion\":\"1\"}", NULL },
    { "{}", "/b/config.json: ociVersion: required field is missing" },
    { "{\"ociVersion\":1}",
      "/b/config.json: ociVersion: expected string, got number" },
    { "{\"ociVersion\":\"1\",\"process\":{\"capabilities\":{\"bounding\":"
      "[\"A\",\"B\",\"C\",4]}}}",
      "/b/config.json: process.capabilities.bounding[3]: expected string, "
      "got number" },
    { "{\"ociVersion\":\"1\",\"root\":[]}",
      "/b/config.json: root: expected object, got array" },
    { "{\"ociVersion\":\"1\",\"process\":[]}",
      "process: expected object, got array" },
    { "{\"ociVersion\":\"1\",\"process\":{\"args\":\"sh\"}}",
      "process.args: expected array, got string" },
    { "{\"ociVersion\":\"1\",\"process\":{\"env\":[\"A=1\",null]}}",
      "process.env[1]: expected string, got null" },
    { "{\"ociVersion\":\"1\",\"process\":{\"capabilities\":[]}}",
      "process.capabilities: expected object, got array" },
    { "{\"ociVersion\":\"1\",\"process\":{\"rlimits\":[{\"type\":"
      "\"RLIMIT_NOFILE\",\"hard\":1}]}}",
      "process.rlimits[0].soft: required field is missing" },
    { "{\"ociVersion\":\"1\",\"process\":{\"rlimits\":[{\"type\":\"R\","
      "\"hard\":-1,\"soft\":1}]}}",
      "process.rlimits[0].hard: expected unsigned 64-bit integer, got -1" },
    { "{\"ociVersion\":\"1\",\"process\":{\"rlimits\":[{\"type\":\"R\","
      "\"hard\":18446744073709551616,\"soft\":1}]}}",
      "expected unsigned 64-bit integer" },
    { "{\"ociVersion\":\"1\",\"process\":{\"noNewPrivileges\":\"true\"}}",
      "process.noNewPrivileges: expected boolean, got string" },
    { "{\"ociVersion\":\"1\",\"mounts\":{}}",
      "mounts: expected array, got object" },
    { "{\"ociVersion\":\"1\",\"mounts\":[{\"destination\":\"/a\"},1]}",
      "mounts[1]: expected object, got number" },
    { "{\"ociVersion\":\"1\",\"mounts\":[{\"type\":\"bind\"}]}",
      "mounts[0].destination: required field is missing" },
    { "{\"ociVersion\":\"1\",\"mounts\":[{\"destination\":\"/a\","
      "\"options\":[\"ro\",true]}]}",
      "mounts[0].options[1]: expected string, got boolean" },
    { "{\"ociVersion\":\"1\",\"mounts\":[{\"destination\":\"/a\","
      "\"source\":7}]}",
      "mounts[0].source: expected string, got number" },
    { "{\"ociVersion\":\"1\",\"linux\":{\"namespaces\":[{\"type\":"
      "\"network\",\"path\":1}]}}",
      "linux.namespaces[0].path: expected string, got number" },
    { "{\"ociVersion\":\"1\",\"linux\":{\"namespaces\":[{\"path\":\"/p\"}]}}",
      "linux.namespaces[0].type: required field is missing" },
    { "{\"ociVersion\":\"1\",\"linux\":{\"seccomp\":[]}}",
      "linux.seccomp: expected object, got array" },
    { "{\"ociVersion\":\"1\",\"linux\":{\"maskedPaths\":[\"/a\",{}]}}",
      "linux.maskedPaths[1]: expected string, got object" },
    { "{\"ociVersion\":\"1\",\"linux\":{\"readonlyPaths\":\"/a\"}}",
      "linux.readonlyPaths: expected array, got string" },
    { "{\"ociVersion\":\"1\",\"hooks\":{\"prestart\":{}}}",
      "hooks.prestart: expected array, got object" },
    { "{\"ociVersion\":\"1\",\"hooks\":{\"poststop\":[{\"path\":\"/h\","
      "\"timeout\":1.5}]}}",
      "hooks.poststop[0].timeout: expected integer, got 1.5" },
    { "{\"ociVersion\":\"1\",\"hooks\":{\"poststop\":[{\"args\":[]}]}}",
      "hooks.poststop[0].path: required field is missing" },
    { "{\"ociVersion\":\"1\",\"hooks\":{\"createRuntime\":[{\"path\":\"/h\","
      "\"env\":[1]}]}}",
      "hooks.createRuntime[0].env[0]: expected string, got number" },
    { "{\"ociVersion\":\"1\",\"annotations\":{\"a\":\"b\",\"c\":1}}",
      "annotations.c: expected string, got number" },
    /* Keys runc (Go) would bind to a field agentbox reads. */
    { "{\"ociVersion\":\"1\",\"Process\":{}}",
      "(top level): key \"Process\" would be read by runc as \"process\"" },
    { "{\"ociVersion\":\"1\",\"process\":{},\"process\":{}}",
      "(top level): duplicate key process" },
    { "{\"ociVersion\":\"1\",\"hoo\xe2\x84\xaas\":{}}",
      "would be read by runc as \"hooks\"" },
    { "{\"ociVersion\":\"1\",\"linux\":{\"\xc5\xbf"
      "eccomp\":{}}}",
      "linux: key \"\xc5\xbf"
      "eccomp\" would be read by runc as "
      "\"seccomp\"" },
    { "{\"ociVersion\":\"1\",\"process\":{\"capabilities\":{\"Bounding\":"
      "[]}}}",
      "process.capabilities: key \"Bounding\"" },
    /* Unknown fields of any type are not agentbox's business. */
    { "{\"ociVersion\":\"1\",\"vm\":7,\"x\":{\"Process\":1,\"x\":[]}}", NULL },
  };
  size_t i;

  for (i = 0; i < sizeof (cases) / sizeof (cases[0]); i++)
    {
      cleanup_free char *msg = validate_err (cases[i].in);

      if (cases[i].want == NULL)
        {
          CHECK (msg == NULL);
          if (msg)
            printf ("# case %zu: %s\n", i, msg);
        }
      else
        CHECK_CONTAINS (msg, cases[i].want);
    }
}

TEST (validate_process_alone)
{
  cleanup_json struct ab_json *p = parse ("{\"args\":[\"sh\",2]}");
  cleanup_error ab_error_t err = NULL;

  CHECK (ab_process_validate (p, "/tmp/p.json", &err) < 0);
  CHECK_STR (err ? err->msg : NULL,
             "/tmp/p.json: args[1]: expected string, got number");
}

/* ---- typed helpers ---- */

TEST (helpers_mounts)
{
  struct ab_spec *s = load_fixture (FIXTURES "podman.json");
  cleanup_error ab_error_t err = NULL;
  struct ab_mount m;
  size_t n, i;
  static const char *const opts[] = { "rbind", "ro", NULL };
  struct ab_json *last;

  if (!s)
    return;
  n = ab_spec_mount_count (s);
  CHECK (n == 13);
  CHECK (ab_spec_mount (s, 10, &m, &err) == 0);
  CHECK_STR (m.destination, "/root/.ssh");
  CHECK_STR (m.source, "/home/dev/.ssh");
  CHECK_STR (m.type, "bind");
  CHECK (ab_mount_has_option (&m, "ro"));
  CHECK (!ab_mount_has_option (&m, "rw"));
  free (m.options);
  CHECK (ab_spec_mount (s, n, &m, &err) < 0);
  /* Remove the sensitive ones; the rest keep their order. */
  for (i = ab_spec_mount_count (s); i > 0; i--)
    {
      CHECK (ab_spec_mount (s, i - 1, &m, &err) == 0);
      if (m.source && (strstr (m.source, ".ssh") || strstr (m.source, ".sock")))
        ab_spec_mount_remove (s, i - 1);
      free (m.options);
    }
  CHECK (ab_spec_mount_count (s) == 11);
  CHECK (ab_spec_mount_add (s, "/usr/bin/hostexec", "bind",
                            "/usr/libexec/agentbox/hostexec", opts, &err)
         == 0);
  CHECK (ab_spec_mount_add (s, "/tmp", "tmpfs", NULL, NULL, &err) == 0);
  CHECK (ab_spec_mount_count (s) == 13);
  CHECK (ab_spec_mount (s, 11, &m, &err) == 0);
  CHECK_STR (m.destination, "/usr/bin/hostexec");
  CHECK (ab_mount_has_option (&m, "ro"));
  free (m.options);
  CHECK (ab_spec_mount (s, 12, &m, &err) == 0);
  CHECK (m.source == NULL && m.options == NULL);
  last = ab_json_get (s->root, "mounts")->u.array.items[11];
  CHECK_STR (last->u.object.keys[0], "destination");
  CHECK_STR (last->u.object.keys[3], "options");
  CHECK (ab_spec_validate (s, &err) == 0);
  ab_spec_free (s);
}

TEST (helpers_namespaces)
{
  struct ab_spec *s = load_fixture (FIXTURES "containerd.json");
  cleanup_error ab_error_t err = NULL;
  cleanup_free char *out = NULL;
  const char *path = "x";
  struct ab_json *ns;

  if (!s)
    return;
  CHECK (ab_spec_namespace (s, "network", &path) == 1);
  CHECK_STR (path, "/proc/4242/ns/net");
  CHECK (ab_spec_namespace (s, "pid", &path) == 1 && path == NULL);
  CHECK (ab_spec_namespace (s, "user", &path) == 0);
  /* Force a fresh network namespace: the engine's path goes. */
  ns = ab_json_get (ab_json_get (s->root, "linux"), "namespaces");
  ab_json_set (ns->u.array.items[4], "x-ext", ab_json_new_int (1));
  ab_json_append (ns, parse ("{\"type\":\"network\",\"path\":\"/other\"}"));
  CHECK (ab_spec_set_namespace (s, "network", NULL, &err) == 0);
  CHECK (ab_spec_namespace (s, "network", &path) == 1 && path == NULL);
  CHECK (ns->u.array.len == 5); /* duplicate dropped, position kept */
  out = ser (ns->u.array.items[4], false);
  CHECK_STR (out, "{\"type\":\"network\",\"x-ext\":1}");
  CHECK (ab_spec_set_namespace (s, "cgroup", "/proc/1/ns/cgroup", &err) == 0);
  CHECK (ab_spec_namespace (s, "cgroup", &path) == 1);
  CHECK_STR (path, "/proc/1/ns/cgroup");
  CHECK (ab_spec_remove_namespace (s, "ipc") == 1);
  CHECK (ab_spec_remove_namespace (s, "ipc") == 0);
  CHECK (ab_spec_namespace (s, "ipc", NULL) == 0);
  CHECK (ab_spec_validate (s, &err) == 0);
  ab_spec_free (s);
}

TEST (helpers_hooks_annotations)
{
  struct ab_spec *s = load_fixture (FIXTURES "podman.json");
  cleanup_error ab_error_t err = NULL;
  static const char *const args[] = { "agentbox-hook", "create", NULL };
  struct ab_json *h;

  if (!s)
    return;
  CHECK (ab_spec_hook_has (s, "prestart",
                           "/usr/libexec/oci/hooks.d/oci-systemd-hook"));
  CHECK (!ab_spec_hook_has (s, "createRuntime", "/usr/bin/agentbox-hook"));
  CHECK (ab_spec_hook_add (s, "createRuntime", "/usr/bin/agentbox-hook", args,
                           NULL, 30, &err)
         == 0);
  CHECK (ab_spec_hook_has (s, "createRuntime", "/usr/bin/agentbox-hook"));
  CHECK (ab_spec_hook_add (s, "poststop", "/usr/bin/agentbox-hook", NULL, NULL,
                           0, &err)
         == 0);
  h = ab_json_get (ab_json_get (s->root, "hooks"), "poststop");
  CHECK (h && h->u.array.len == 2); /* podman's cleanup hook stays first */
  CHECK (ab_json_get (h->u.array.items[1], "timeout") == NULL);
  CHECK (ab_spec_hook_add (s, "preStart", "/x", NULL, NULL, 0, &err) < 0);
  CHECK_CONTAINS (err ? err->msg : NULL, "unknown stage \"preStart\"");
  CHECK (ab_spec_set_annotation (s, "io.agentbox.mode", "enforce", &err) == 0);
  CHECK (ab_spec_set_annotation (s, "io.container.manager", "x", &err) == 0);
  CHECK_STR (ab_spec_annotation (s, "io.agentbox.mode"), "enforce");
  CHECK_STR (ab_spec_annotation (s, "io.container.manager"), "x");
  CHECK (ab_spec_annotation (s, "nope") == NULL);
  CHECK (ab_spec_validate (s, &err) == 0);
  ab_spec_free (s);
}

TEST (helpers_process)
{
  struct ab_spec *s = load_fixture (FIXTURES "podman.json");
  cleanup_error ab_error_t err = NULL;
  cleanup_free const char **args = NULL, **caps = NULL;
  static const char *const pre[] = { "/agentbox-init", "--", NULL };
  unsigned long long soft = 0, hard = 0;
  struct ab_json *p;
  int n;

  if (!s)
    return;
  p = ab_spec_process (s);
  CHECK (p != NULL);
  CHECK (ab_process_prepend_args (p, pre, &err) == 0);
  n = ab_process_args (p, &args, &err);
  CHECK (n == 5);
  CHECK_STR (args[0], "/agentbox-init");
  CHECK_STR (args[2], "/bin/sh");
  CHECK (args[n] == NULL);
  /* env */
  CHECK_STR (ab_process_getenv (p, "TERM"), "xterm");
  CHECK (ab_process_getenv (p, "TER") == NULL);
  ab_json_append (ab_json_get (p, "env"), ab_json_new_string ("TERM=dumb"));
  CHECK_STR (ab_process_getenv (p, "TERM"), "dumb"); /* last wins */
  CHECK (ab_process_setenv (p, "TERM", "vt100", &err) == 0);
  CHECK (ab_json_get (p, "env")->u.array.len == 5);
  CHECK_STR (ab_json_string (ab_json_get (p, "env")->u.array.items[1]),
             "TERM=vt100");
  CHECK (ab_process_setenv (p, "HTTPS_PROXY", "http://10.0.0.1:3128", &err)
         == 0);
  CHECK_STR (ab_process_getenv (p, "HTTPS_PROXY"), "http://10.0.0.1:3128");
  CHECK (ab_process_setenv (p, "A=B", "x", &err) < 0);
  ab_error_free (&err);
  CHECK (ab_process_unsetenv (p, "HOME") == 1);
  CHECK (ab_process_getenv (p, "HOME") == NULL);
  /* capabilities, any spelling libcap accepts */
  CHECK (ab_process_has_cap (p, "bounding", "CAP_SETUID"));
  CHECK (!ab_process_has_cap (p, "ambient", "CAP_SETUID"));
  ab_json_append (ab_json_get (ab_json_get (p, "capabilities"), "effective"),
                  ab_json_new_string ("cap_sys_admin"));
  CHECK (ab_process_has_cap (p, "effective", "CAP_SYS_ADMIN"));
  CHECK (ab_process_drop_cap (p, "CAP_SYS_ADMIN") == 1);
  CHECK (ab_process_drop_cap (p, "CAP_SETUID") == 3);
  CHECK (!ab_process_has_cap (p, "permitted", "CAP_SETUID"));
  CHECK (ab_process_caps (p, "bounding", &caps, &err) == 0);
  CHECK (caps && caps[0] && caps[10] == NULL);
  free (caps);
  caps = NULL;
  CHECK (ab_process_caps (p, "ambient", &caps, &err) == 0);
  CHECK (caps && caps[0] == NULL);
  /* noNewPrivileges */
  CHECK (!ab_process_no_new_privileges (p));
  CHECK (ab_process_set_no_new_privileges (p, true, &err) == 0);
  CHECK (ab_process_no_new_privileges (p));
  /* rlimits */
  CHECK (ab_process_rlimit (p, "RLIMIT_NOFILE", &soft, &hard) == 1);
  CHECK (soft == 1048576 && hard == 1048576);
  CHECK (ab_process_set_rlimit (p, "RLIMIT_NOFILE", 1024, 4096, &err) == 0);
  CHECK (ab_process_set_rlimit (p, "RLIMIT_CORE", 0, 0, &err) == 0);
  CHECK (ab_process_rlimit (p, "RLIMIT_NOFILE", &soft, &hard) == 1);
  CHECK (soft == 1024 && hard == 4096);
  CHECK (ab_json_get (p, "rlimits")->u.array.len == 3);
  CHECK (ab_process_set_rlimit (p, "RLIMIT_AS", 18446744073709551615ULL,
                                18446744073709551615ULL, &err)
         == 0);
  CHECK (ab_process_rlimit (p, "RLIMIT_AS", &soft, &hard) == 1);
  CHECK (soft == 18446744073709551615ULL);
  CHECK (ab_process_rlimit (p, "RLIMIT_STACK", &soft, &hard) == 0);
  CHECK (ab_spec_validate (s, &err) == 0);
  if (err)
    printf ("# %s\n", err->msg);
  ab_spec_free (s);
}

TEST (helpers_linux_paths_seccomp)
{
  struct ab_spec *s = load_fixture (FIXTURES "podman.json");
  cleanup_error ab_error_t err = NULL;
  struct ab_json *sc;

  if (!s)
    return;
  sc = ab_spec_seccomp (s);
  CHECK_STR (ab_json_get_string (sc, "defaultAction"), "SCMP_ACT_ERRNO");
  CHECK (ab_spec_ensure_masked_path (s, "/proc/kcore", &err) == 0);
  CHECK (ab_spec_ensure_masked_path (s, "/proc/agentbox", &err) == 1);
  CHECK (ab_spec_ensure_readonly_path (s, "/proc/sys", &err) == 0);
  CHECK (ab_spec_ensure_readonly_path (s, "/etc/agentbox", &err) == 1);
  CHECK (ab_spec_set_seccomp (
             s, parse ("{\"defaultAction\":\"SCMP_ACT_KILL\"}"), &err)
         == 0);
  CHECK_STR (ab_json_get_string (ab_spec_seccomp (s), "defaultAction"),
             "SCMP_ACT_KILL");
  CHECK (ab_spec_set_seccomp (s, NULL, &err) == 0);
  CHECK (ab_spec_seccomp (s) == NULL);
  ab_spec_free (s);
  /* A spec without linux gets one. */
  s = calloc (1, sizeof (*s));
  s->path = strdup ("/b/config.json");
  s->root = parse ("{\"ociVersion\":\"1\"}");
  CHECK (ab_spec_ensure_masked_path (s, "/a", &err) == 1);
  CHECK (ab_spec_seccomp (s) == NULL);
  CHECK (ab_spec_set_namespace (s, "network", NULL, &err) == 0);
  CHECK (ab_spec_process (s) == NULL);
  CHECK (ab_spec_validate (s, &err) == 0);
  ab_spec_free (s);
}

/* Every helper at once, then write, reload: the fields agentbox does not
 * know are exactly as they were. */
TEST (unknown_fields_survive_edits)
{
  cleanup_free char *dir = make_tmpdir (), *path = NULL, *text = NULL;
  cleanup_json struct ab_json *orig = NULL;
  struct ab_spec *s = NULL, *r = NULL;
  cleanup_error ab_error_t err = NULL;
  static const char *const unknown[]
      = { "vm", "solaris", "x-custom", "root", NULL };
  size_t len, i;

  text = slurp (FIXTURES "containerd.json", &len);
  if (!dir || !text || asprintf (&path, "%s/config.json", dir) < 0)
    return;
  spit (path, text, len, 0644);
  s = load_fixture (path);
  if (!s)
    return;
  orig = ab_json_copy (s->root);
  ab_spec_mount_remove (s, 5);
  ab_spec_mount_add (s, "/run/agentbox/hostexec.sock", "bind", "/x", NULL,
                     &err);
  ab_spec_set_namespace (s, "network", NULL, &err);
  ab_spec_hook_add (s, "createRuntime", "/usr/bin/agentbox-hook", NULL, NULL, 0,
                    &err);
  ab_process_drop_cap (ab_spec_process (s), "CAP_SETUID");
  ab_process_set_no_new_privileges (ab_spec_process (s), true, &err);
  ab_process_setenv (ab_spec_process (s), "HTTP_PROXY", "x", &err);
  ab_spec_set_seccomp (s, parse ("{\"defaultAction\":\"SCMP_ACT_ERRNO\"}"),
                       &err);
  ab_spec_ensure_masked_path (s, "/proc/x", &err);
  ab_spec_set_annotation (s, "io.agentbox.mode", "enforce", &err);
  CHECK (err == NULL);
  CHECK (ab_spec_write (s, &err) == 0);
  CHECK (ab_spec_load (dir, &r, &err) == 0);
  if (r == NULL)
    goto out;
  CHECK (ab_json_equal (s->root, r->root));
  for (i = 0; unknown[i]; i++)
    CHECK (ab_json_equal (ab_json_get (orig, unknown[i]),
                          ab_json_get (r->root, unknown[i])));
  CHECK (
      ab_json_equal (ab_json_get (ab_json_get (orig, "linux"), "intelRdt"),
                     ab_json_get (ab_json_get (r->root, "linux"), "intelRdt")));
  CHECK (ab_json_equal (
      ab_json_get (ab_json_get (orig, "linux"), "resources"),
      ab_json_get (ab_json_get (r->root, "linux"), "resources")));
  CHECK_STR (ab_json_get (ab_spec_process (r), "apparmorProfile")->u.string.ptr,
             "cri-containerd.apparmor.d");
  /* Top-level keys keep their order; "hooks" is new, at the end. */
  CHECK (orig->u.object.len + 1 == r->root->u.object.len);
  for (i = 0; i < orig->u.object.len && i < r->root->u.object.len; i++)
    CHECK_STR (r->root->u.object.keys[i], orig->u.object.keys[i]);
  CHECK_STR (r->root->u.object.keys[r->root->u.object.len - 1], "hooks");
  CHECK (ab_spec_validate (r, &err) == 0);
out:
  ab_spec_free (r);
  ab_spec_free (s);
  rm_rf (dir);
}

/* ---- atomic write ---- */

TEST (write_keeps_mode_owner_no_temp)
{
  cleanup_free char *dir = make_tmpdir (), *path = NULL, *text = NULL;
  struct ab_spec *s = NULL;
  cleanup_error ab_error_t err = NULL;
  struct stat st;
  size_t len;

  text = slurp (FIXTURES "podman.json", &len);
  if (!dir || !text || asprintf (&path, "%s/config.json", dir) < 0)
    return;
  spit (path, text, len, 0600);
  CHECK (chmod (path, 0640) == 0);
  if (geteuid () == 0)
    CHECK (chown (path, 1234, 2345) == 0);
  CHECK (ab_spec_load (dir, &s, &err) == 0);
  if (!s)
    return;
  ab_spec_set_annotation (s, "k", "v", &err);
  umask (077); /* must not matter */
  CHECK (ab_spec_write (s, &err) == 0);
  umask (022);
  CHECK (stat (path, &st) == 0);
  CHECK ((st.st_mode & 07777) == 0640);
  if (geteuid () == 0)
    CHECK (st.st_uid == 1234 && st.st_gid == 2345);
  CHECK (count_entries (dir) == 1);
  /* A new file gets 0644. */
  {
    cleanup_free char *p2 = NULL;

    if (asprintf (&p2, "%s/new.json", dir) >= 0)
      {
        CHECK (ab_spec_write_to (s, p2, &err) == 0);
        CHECK (stat (p2, &st) == 0 && (st.st_mode & 07777) == 0644);
        CHECK (count_entries (dir) == 2);
      }
  }
  ab_spec_free (s);
  rm_rf (dir);
}

/* The write itself fails (RLIMIT_FSIZE: EFBIG on the temporary file):
 * error, the original intact, no temporary left. */
TEST (write_failure_leaves_original)
{
  cleanup_free char *dir = make_tmpdir (), *path = NULL, *text = NULL;
  cleanup_free char *after = NULL;
  size_t len, alen = 0;
  pid_t pid;
  int status = -1;

  text = slurp (FIXTURES "containerd.json", &len);
  if (!dir || !text || asprintf (&path, "%s/config.json", dir) < 0)
    return;
  spit (path, text, len, 0644);
  pid = fork ();
  if (pid == 0)
    {
      struct rlimit rl = { 512, 512 };
      struct ab_spec *s = NULL;
      ab_error_t err = NULL;

      signal (SIGXFSZ, SIG_IGN);
      if (ab_spec_load (dir, &s, &err) < 0)
        _exit (2);
      ab_spec_set_annotation (s, "io.agentbox.mode", "enforce", &err);
      setrlimit (RLIMIT_FSIZE, &rl);
      if (ab_spec_write (s, &err) == 0)
        _exit (3);
      printf ("# expected failure: %s\n", err->msg);
      _exit (strstr (err->msg, "File too large") ? 0 : 4);
    }
  waitpid (pid, &status, 0);
  CHECK (WIFEXITED (status) && WEXITSTATUS (status) == 0);
  after = slurp (path, &alen);
  CHECK (after && alen == len && memcmp (after, text, len) == 0);
  CHECK (count_entries (dir) == 1);
  rm_rf (dir);
}

/* The temporary file cannot be created: an immutable directory (refused
 * even to root), or a directory that does not exist. */
TEST (write_failure_unwritable_dir)
{
  cleanup_free char *dir = make_tmpdir (), *path = NULL, *text = NULL;
  cleanup_free char *after = NULL;
  struct ab_spec *s = NULL;
  cleanup_error ab_error_t err = NULL;
  size_t len, alen = 0;
  int fd, flags = 0, set;

  text = slurp (FIXTURES "podman.json", &len);
  if (!dir || !text || asprintf (&path, "%s/config.json", dir) < 0)
    return;
  spit (path, text, len, 0644);
  CHECK (ab_spec_load (dir, &s, &err) == 0);
  if (!s)
    return;
  CHECK (ab_spec_write_to (s, "/nonexistent-ab-dir/config.json", &err) < 0);
  CHECK_CONTAINS (err ? err->msg : NULL,
                  "create temporary file in /nonexistent-ab-dir");
  fd = open (dir, O_RDONLY | O_DIRECTORY);
  set = fd >= 0 ? ioctl (fd, FS_IOC_GETFLAGS, &flags) : -1;
  if (set == 0)
    {
      flags |= FS_IMMUTABLE_FL;
      set = ioctl (fd, FS_IOC_SETFLAGS, &flags);
    }
  if (set != 0)
    {
      if (fd >= 0)
        close (fd);
      ab_spec_free (s);
      rm_rf (dir);
      SKIP ("cannot set the immutable flag here (need root on ext4/xfs/tmpfs)");
    }
  ab_spec_set_annotation (s, "k", "v", &err);
  CHECK (ab_spec_write (s, &err) < 0);
  CHECK_CONTAINS (err ? err->msg : NULL, "Operation not permitted");
  flags &= ~FS_IMMUTABLE_FL;
  ioctl (fd, FS_IOC_SETFLAGS, &flags);
  close (fd);
  after = slurp (path, &alen);
  CHECK (after && alen == len && memcmp (after, text, len) == 0);
  CHECK (count_entries (dir) == 1);
  ab_spec_free (s);
  rm_rf (dir);
}

int
main (void)
{
  const char *top = getenv ("AB_TOP"); /* set by tests/run.sh */

  /* Fixtures are named relative to the repository root. */
  if (top && chdir (top) < 0)
    {
      perror (top);
      return 1;
    }
  RUN (tree_duplicates_and_set);
  RUN (tree_arrays_copy_equal);
  RUN (serialize_pretty_shape);
  RUN (serialize_rejects_bad_nodes);
  RUN (roundtrip_runc_spec);
  RUN (roundtrip_podman_fixture);
  RUN (roundtrip_containerd_fixture);
  RUN (parse_errors_have_line_col);
  RUN (parse_rejects_nul_bytes);
  RUN (parse_depth_limit);
  RUN (parse_file_errors);
  RUN (validate_wrong_types);
  RUN (validate_process_alone);
  RUN (helpers_mounts);
  RUN (helpers_namespaces);
  RUN (helpers_hooks_annotations);
  RUN (helpers_process);
  RUN (helpers_linux_paths_seccomp);
  RUN (unknown_fields_survive_edits);
  RUN (write_keeps_mode_owner_no_temp);
  RUN (write_failure_leaves_original);
  RUN (write_failure_unwritable_dir);
  return unit_done ();
}
