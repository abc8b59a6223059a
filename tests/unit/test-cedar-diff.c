/* Differential test: agentbox's Cedar evaluator against the official Cedar
 * engine (@cedar-policy/cedar-wasm, run by node).
 *
 *   test-cedar-diff                  generate the corpus with node
 *                                    (tests/policy/gen.js, fixed seed) into
 *                                    tests/policy/corpus/, then compare
 *   test-cedar-diff --corpus FILE    compare an existing corpus
 *   test-cedar-diff --one            one case (JSON) on stdin: print the
 *                                    agentbox decision
 *   test-cedar-diff --bench FILE [N] time N evaluations of each case of
 *                                    FILE (policies and entities loaded
 *                                    once): "id ns decision" per line
 *
 * Node and cedar-wasm are required: without them the test fails, it does
 * not skip (CI installs them: `npm ci` in tests/policy).  On a mismatch the
 * case is shrunk (policies dropped one at a time while agentbox and
 * cedar-wasm still disagree) and the minimal case is printed. */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "lib/buf.h"
#include "lib/cleanup.h"
#include "policy/cedar.h"
#include "policy/model.h"
#include "spec/json.h"
#include "tests/unit/unit.h"

#define SEED "20250101"
#define COUNT "1200"
#define MAX_SHRINK 5

static const char *top = ".";

/* ---- running node ----------------------------------------------------- */

/* Run ARGV (PATH lookup) in DIR with stdin from IN_PATH (or /dev/null);
 * collect stdout into OUT.  Returns the exit status, -1 if it could not
 * run. */
static int
run_capture (const char *dir, char *const argv[], const char *in_path,
             struct ab_buf *out)
{
  int pfd[2], status = 0;
  pid_t pid;
  char chunk[4096];
  ssize_t n;

  if (pipe2 (pfd, O_CLOEXEC) < 0)
    return -1;
  pid = fork ();
  if (pid < 0)
    return -1;
  if (pid == 0)
    {
      int in = open (in_path ? in_path : "/dev/null", O_RDONLY);

      if (in < 0 || dup2 (in, 0) < 0 || dup2 (pfd[1], 1) < 0 || chdir (dir) < 0)
        _exit (126);
      execvp (argv[0], argv);
      _exit (127);
    }
  close (pfd[1]);
  while ((n = read (pfd[0], chunk, sizeof chunk)) > 0
         || (n < 0 && errno == EINTR))
    if (n > 0 && ab_buf_append (out, chunk, (size_t)n) < 0)
      break;
  close (pfd[0]);
  while (waitpid (pid, &status, 0) < 0 && errno == EINTR)
    ;
  return WIFEXITED (status) ? WEXITSTATUS (status) : 128;
}

static char *
policy_dir (void)
{
  char *d = NULL;

  if (asprintf (&d, "%s/tests/policy", top) < 0)
    return NULL;
  return d;
}

/* cedar-wasm's decision for CASE: "allow", "deny" or "error: ...". */
static char *
cedar_decide (const struct ab_json *c)
{
  cleanup_free char *dir = policy_dir (), *text = NULL;
  cleanup_buf struct ab_buf out = AB_BUF_INIT;
  char tmp[] = "/tmp/ab-cedar-case-XXXXXX";
  char *argv[] = { (char *)"node", (char *)"gen.js", (char *)"--eval", NULL };
  ab_error_t err = NULL;
  size_t len;
  int fd, rc;

  if (ab_json_serialize (c, false, &text, &len, &err) < 0)
    {
      ab_error_free (&err);
      return strdup ("error: serialize");
    }
  fd = mkstemp (tmp);
  if (fd < 0)
    return strdup ("error: mkstemp");
  rc = write (fd, text, len) == (ssize_t)len ? 0 : -1;
  close (fd);
  if (rc == 0)
    rc = run_capture (dir, argv, tmp, &out);
  unlink (tmp);
  if (rc != 0 || out.len == 0)
    return strdup ("error: node gen.js --eval failed");
  if (out.data[out.len - 1] == '\n')
    out.data[--out.len] = '\0';
  return ab_buf_steal (&out);
}

/* ---- agentbox's side -------------------------------------------------- */

struct verdict
{
  int status; /* 0 decided, -1 could not load the case */
  bool allow;
  char *why; /* load error, or the evaluation errors */
  size_t *errors;
  size_t n_errors;
};

static void
verdict_clear (struct verdict *v)
{
  free (v->why);
  free (v->errors);
  memset (v, 0, sizeof *v);
}

static char *
join_policies (const struct ab_json *pols)
{
  struct ab_buf b = AB_BUF_INIT;

  for (size_t i = 0;
       pols && pols->type == AB_JSON_ARRAY && i < pols->u.array.len; i++)
    {
      const char *s = ab_json_string (pols->u.array.items[i]);

      if (s == NULL || ab_buf_puts (&b, s) < 0 || ab_buf_puts (&b, "\n") < 0)
        {
          ab_buf_free (&b);
          return NULL;
        }
    }
  return ab_buf_steal (&b);
}

static void
record_errors (struct verdict *v, const struct ab_cedar_response *r)
{
  struct ab_buf b = AB_BUF_INIT;

  v->errors = calloc (r->n_errors + 1, sizeof *v->errors);
  for (size_t i = 0; v->errors && i < r->n_errors; i++)
    {
      v->errors[v->n_errors++] = r->errors[i];
      ab_buf_printf (&b, "%spolicy%zu: %s", i ? "; " : "", r->errors[i],
                     r->error_msgs && r->error_msgs[i] ? r->error_msgs[i]
                                                       : "?");
    }
  v->why = b.data ? ab_buf_steal (&b) : NULL;
}

static int
load_case (const struct ab_json *c, const char *name, struct ab_cedar_set **set,
           struct ab_cedar_entities **ents, struct ab_cedar_request *req,
           ab_error_t *err)
{
  cleanup_free char *text = join_policies (ab_json_get (c, "policies"));

  *set = ab_cedar_set_new ();
  *ents = ab_cedar_entities_new ();
  if (text == NULL || *set == NULL || *ents == NULL)
    return ab_error_set (err, ENOMEM, "%s: bad case or out of memory", name);
  if (ab_cedar_parse (*set, name, text, strlen (text), err) < 0)
    return ab_error_wrap (err, "parse policies");
  if (ab_cedar_entities_from_json (*ents, ab_json_get (c, "entities"), err) < 0)
    return ab_error_wrap (err, "load entities");
  if (ab_cedar_request_from_json (*ents, ab_json_get (c, "request"), req, err)
      < 0)
    return ab_error_wrap (err, "load request");
  return 0;
}

/* Fault injection for the shrinker's own test: when set, agentbox's
 * decision is flipped for every case whose policies mention this text. */
static const char *fault_flip_if;

static bool
mentions (const struct ab_json *c, const char *needle)
{
  cleanup_free char *text = join_policies (ab_json_get (c, "policies"));

  return text && strstr (text, needle);
}

static void
agentbox_decide (const struct ab_json *c, struct verdict *v)
{
  struct ab_cedar_set *set = NULL;
  struct ab_cedar_entities *ents = NULL;
  struct ab_cedar_request req;
  struct ab_cedar_response resp;
  ab_error_t err = NULL;

  memset (v, 0, sizeof *v);
  memset (&resp, 0, sizeof resp);
  if (load_case (c, "case", &set, &ents, &req, &err) < 0
      || ab_cedar_authorize (set, ents, &req, &resp, &err) < 0)
    {
      v->status = -1;
      v->why = strdup (err && err->msg ? err->msg : "?");
      ab_error_free (&err);
    }
  else
    {
      v->allow = resp.allow;
      if (fault_flip_if && mentions (c, fault_flip_if))
        v->allow = !v->allow;
      record_errors (v, &resp);
    }
  ab_cedar_response_free (&resp);
  ab_cedar_set_free (set);
  ab_cedar_entities_free (ents);
}

/* The same case through agentbox's entity model (policy/model.h): the
 * File/Dir/Host/Action hierarchy is not loaded from the corpus but implied
 * by ab_model_request from the names, as the enforcement layers do; only
 * what the names cannot say (principal attributes and projects, MCP tool
 * servers) comes from the corpus's entities. */
static bool
implied_type (const char *t)
{
  return t
         && (strcmp (t, "File") == 0 || strcmp (t, "Dir") == 0
             || strcmp (t, "Host") == 0 || strcmp (t, "Action") == 0);
}

static char *
uid_text (const struct ab_json *u)
{
  const char *type = ab_json_get_string (u, "type"),
             *id = ab_json_get_string (u, "id");
  struct ab_buf b = AB_BUF_INIT;

  if (type == NULL || id == NULL)
    return NULL;
  ab_buf_printf (&b, "%s::\"", type);
  for (; *id; id++)
    {
      if (*id == '"' || *id == '\\')
        ab_buf_puts (&b, "\\");
      ab_buf_append (&b, id, 1);
    }
  ab_buf_puts (&b, "\"");
  return ab_buf_steal (&b);
}

static int
load_case_model (const struct ab_json *c, struct ab_cedar_set **set,
                 struct ab_cedar_entities **ents, struct ab_cedar_request *req,
                 ab_error_t *err)
{
  cleanup_free char *text = join_policies (ab_json_get (c, "policies"));
  cleanup_free char *p = NULL, *r = NULL;
  const struct ab_json *all = ab_json_get (c, "entities");
  const struct ab_json *rq = ab_json_get (c, "request");
  struct ab_json *kept = ab_json_new_array ();
  struct ab_cedar_request jreq;
  int rc;

  *set = ab_cedar_set_new ();
  *ents = ab_cedar_entities_new ();
  if (text == NULL || kept == NULL || *set == NULL || *ents == NULL
      || all == NULL)
    return ab_json_free (kept),
           ab_error_set (err, ENOMEM, "bad case or out of memory");
  for (size_t i = 0; i < all->u.array.len; i++)
    {
      const struct ab_json *u = ab_json_get (all->u.array.items[i], "uid");

      if (!implied_type (ab_json_get_string (u, "type")))
        ab_json_append (kept, ab_json_copy (all->u.array.items[i]));
    }
  rc = ab_cedar_entities_from_json (*ents, kept, err);
  ab_json_free (kept);
  if (rc < 0 || ab_cedar_parse (*set, "case", text, strlen (text), err) < 0)
    return -1;
  ab_model_normalize (*set);
  if (ab_cedar_request_from_json (*ents, rq, &jreq, err) < 0)
    return -1;
  p = uid_text (ab_json_get (rq, "principal"));
  r = uid_text (ab_json_get (rq, "resource"));
  if (p == NULL || r == NULL)
    return ab_error_set (err, EINVAL, "bad request");
  /* No project argument: it would replace the principal's entity (and its
   * attributes) with a bare one; the corpus's entity holds the project. */
  if (ab_model_request (*ents, p, NULL, jreq.action.id, r, req, err) < 0)
    return -1;
  req->context = jreq.context;
  return 0;
}

static void
agentbox_decide_model (const struct ab_json *c, struct verdict *v)
{
  struct ab_cedar_set *set = NULL;
  struct ab_cedar_entities *ents = NULL;
  struct ab_cedar_request req;
  struct ab_cedar_response resp;
  ab_error_t err = NULL;

  memset (v, 0, sizeof *v);
  memset (&resp, 0, sizeof resp);
  if (load_case_model (c, &set, &ents, &req, &err) < 0
      || ab_cedar_authorize (set, ents, &req, &resp, &err) < 0)
    {
      v->status = -1;
      v->why = strdup (err && err->msg ? err->msg : "?");
      ab_error_free (&err);
    }
  else
    {
      v->allow = resp.allow;
      record_errors (v, &resp);
    }
  ab_cedar_response_free (&resp);
  ab_cedar_set_free (set);
  ab_cedar_entities_free (ents);
}

static const char *
verdict_name (const struct verdict *v)
{
  return v->status < 0 ? "error" : v->allow ? "allow" : "deny";
}

/* ---- shrinking -------------------------------------------------------- */

/* Does agentbox disagree with cedar-wasm on C? */
static bool
disagrees (const struct ab_json *c)
{
  cleanup_free char *expected = cedar_decide (c);
  struct verdict v;
  bool r;

  agentbox_decide (c, &v);
  r = strcmp (expected, verdict_name (&v)) != 0;
  verdict_clear (&v);
  return r;
}

static struct ab_json *
shrink (const struct ab_json *c)
{
  struct ab_json *cur = ab_json_copy (c);
  bool progress = true;

  while (cur && progress)
    {
      struct ab_json *pols = ab_json_get (cur, "policies");

      progress = false;
      for (size_t i = 0; pols && pols->u.array.len > 1 && i < pols->u.array.len;
           i++)
        {
          struct ab_json *cand = ab_json_copy (cur);

          ab_json_array_remove (ab_json_get (cand, "policies"), i);
          if (disagrees (cand))
            {
              ab_json_free (cur);
              cur = cand;
              progress = true;
              break;
            }
          ab_json_free (cand);
        }
    }
  return cur;
}

static void
print_case (const struct ab_json *c)
{
  const struct ab_json *pols = ab_json_get (c, "policies");
  const struct ab_json *req = ab_json_get (c, "request");
  cleanup_free char *rtext = NULL, *expected = cedar_decide (c);
  struct verdict v;
  size_t len;
  ab_error_t err = NULL;

  printf ("#   minimal case (%zu policies):\n", pols ? pols->u.array.len : 0);
  for (size_t i = 0; pols && i < pols->u.array.len; i++)
    {
      const char *s = ab_json_string (pols->u.array.items[i]);

      printf ("#     ");
      for (; s && *s; s++)
        {
          putchar (*s);
          if (*s == '\n')
            printf ("#     ");
        }
      putchar ('\n');
    }
  if (ab_json_serialize (req, false, &rtext, &len, &err) == 0)
    printf ("#   request: %s\n", rtext);
  ab_error_free (&err);
  agentbox_decide (c, &v);
  printf ("#   cedar-wasm: %s\n#   agentbox:   %s%s%s\n", expected,
          verdict_name (&v), v.why ? " — " : "", v.why ? v.why : "");
  if (strcmp (expected, verdict_name (&v)) == 0)
    printf (
        "#   (cedar-wasm now agrees with agentbox: the corpus line is stale "
        "or was edited)\n");
  verdict_clear (&v);
}

/* ---- the corpus ------------------------------------------------------- */

struct corpus
{
  struct ab_json **cases;
  size_t len;
};

static void
corpus_free (struct corpus *k)
{
  for (size_t i = 0; i < k->len; i++)
    ab_json_free (k->cases[i]);
  free (k->cases);
}

static int
corpus_load (const char *path, struct corpus *k, ab_error_t *err)
{
  cleanup_file FILE *f = fopen (path, "re");
  cleanup_free char *line = NULL;
  size_t cap = 0, lineno = 0;
  ssize_t n;

  memset (k, 0, sizeof *k);
  if (f == NULL)
    return ab_error_errno (err, "open `%s`", path);
  while ((n = getline (&line, &cap, f)) > 0)
    {
      struct ab_json *j = NULL, **v;
      char name[64];

      lineno++;
      snprintf (name, sizeof name, "corpus:%zu", lineno);
      if (ab_json_parse (line, (size_t)n, name, &j, err) < 0)
        return -1;
      v = realloc (k->cases, (k->len + 1) * sizeof *v);
      if (v == NULL)
        return ab_json_free (j), ab_error_set (err, ENOMEM, "out of memory");
      k->cases = v;
      k->cases[k->len++] = j;
    }
  return 0;
}

static bool
same_errors (const struct ab_json *c, const struct verdict *v)
{
  const struct ab_json *e = ab_json_get (c, "errors");

  if (e == NULL || e->type != AB_JSON_ARRAY || e->u.array.len != v->n_errors)
    return false;
  for (size_t i = 0; i < v->n_errors; i++)
    {
      bool found = false;

      for (size_t k = 0; k < e->u.array.len && !found; k++)
        found = e->u.array.items[k]->type == AB_JSON_NUMBER
                && strtoul (e->u.array.items[k]->u.number, NULL, 10)
                       == v->errors[i];
      if (!found)
        return false;
    }
  return true;
}

/* ---- the tests -------------------------------------------------------- */

static struct corpus corpus;
static const char *corpus_path;
static bool corpus_ok;

TEST (corpus_from_cedar_wasm)
{
  cleanup_free char *dir = policy_dir (), *out_dir = NULL;
  cleanup_buf struct ab_buf out = AB_BUF_INIT;
  ab_error_t err = NULL;

  if (corpus_path == NULL)
    {
      char *argv[] = { (char *)"node",
                       (char *)"gen.js",
                       (char *)"--seed",
                       (char *)SEED,
                       (char *)"--count",
                       (char *)COUNT,
                       NULL };
      int rc = run_capture (dir, argv, NULL, &out);

      /* No node or no cedar-wasm is a failure, not a skip. */
      if (rc != 0)
        printf ("# `node gen.js` in %s exited %d (is nodejs installed and "
                "`npm ci` run in tests/policy?)\n",
                dir, rc);
      CHECK (rc == 0);
      if (rc != 0)
        return;
      printf ("%s", out.data ? out.data : "");
      if (asprintf (&out_dir, "%s/corpus/corpus.jsonl", dir) < 0)
        return;
      corpus_path = out_dir;
    }
  CHECK (corpus_load (corpus_path, &corpus, &err) == 0);
  if (err)
    printf ("# %s\n", err->msg);
  ab_error_free (&err);
  /* The issue asks for at least 1,000 generated cases. */
  if (out_dir)
    CHECK (corpus.len >= 1000);
  else
    CHECK (corpus.len > 0);
  corpus_ok = corpus.len > 0;
  if (out_dir)
    corpus_path = NULL; /* freed with out_dir */
}

static size_t n_allow, n_load_fail, n_decision_fail, n_error_fail;
static size_t *mismatches;
static size_t n_mismatches;

static void
compare_all (void)
{
  for (size_t i = 0; i < corpus.len; i++)
    {
      const struct ab_json *c = corpus.cases[i];
      const char *expected = ab_json_get_string (c, "decision");
      struct verdict v;

      agentbox_decide (c, &v);
      if (v.status < 0)
        {
          if (n_load_fail++ < 5)
            printf ("# case %zu: agentbox cannot load it: %s\n", i, v.why);
        }
      else if (v.allow)
        n_allow++;
      if (expected == NULL || strcmp (expected, verdict_name (&v)) != 0)
        {
          size_t *m = realloc (mismatches, (n_mismatches + 1) * sizeof *m);

          if (m)
            (mismatches = m)[n_mismatches++] = i;
          n_decision_fail++;
        }
      else if (!same_errors (c, &v) && n_error_fail++ < 5)
        printf ("# case %zu: same decision, different errored policies "
                "(agentbox: %s)\n",
                i, v.why ? v.why : "none");
      verdict_clear (&v);
    }
}

TEST (every_case_loads)
{
  if (!corpus_ok)
    SKIP ("no corpus");
  compare_all ();
  printf ("# %zu cases: agentbox allowed %zu\n", corpus.len, n_allow);
  CHECK (n_load_fail == 0);
}

TEST (decisions_identical)
{
  if (!corpus_ok)
    SKIP ("no corpus");
  printf ("# %zu of %zu decisions differ\n", n_decision_fail, corpus.len);
  CHECK (n_decision_fail == 0);
  for (size_t k = 0; k < n_mismatches && k < MAX_SHRINK; k++)
    {
      struct ab_json *min = shrink (corpus.cases[mismatches[k]]);

      printf ("# mismatch in case %zu (cedar-wasm: %s)\n", mismatches[k],
              ab_json_get_string (corpus.cases[mismatches[k]], "decision"));
      if (min)
        print_case (min);
      ab_json_free (min);
    }
}

TEST (errored_policies_identical)
{
  /* Cedar skips a policy whose evaluation fails; which policies fail is
   * part of the semantics (short-circuits included), so it must match. */
  if (!corpus_ok)
    SKIP ("no corpus");
  printf ("# %zu cases with the same decision but other errored policies\n",
          n_error_fail);
  CHECK (n_error_fail == 0);
}

TEST (model_hierarchy_decisions_identical)
{
  /* The corpus spells the hierarchy out as parents; agentbox's model
   * derives it from the names.  Both must give Cedar's decisions. */
  size_t bad = 0;

  if (!corpus_ok)
    SKIP ("no corpus");
  for (size_t i = 0; i < corpus.len; i++)
    {
      const char *expected = ab_json_get_string (corpus.cases[i], "decision");
      struct verdict v;

      agentbox_decide_model (corpus.cases[i], &v);
      if (expected == NULL || strcmp (expected, verdict_name (&v)) != 0)
        {
          if (bad++ < 3)
            {
              printf ("# case %zu: cedar-wasm %s, agentbox (model) %s%s%s\n", i,
                      expected ? expected : "?", verdict_name (&v),
                      v.why ? ": " : "", v.why ? v.why : "");
              print_case (corpus.cases[i]);
            }
        }
      verdict_clear (&v);
    }
  printf ("# %zu of %zu decisions differ with the implied hierarchy\n", bad,
          corpus.len);
  CHECK (bad == 0);
}

TEST (shrinker_finds_minimal_case)
{
  /* With a fault that flips agentbox's answer whenever a `like` appears,
   * a case with several policies, one of them using `like`, must shrink to
   * that one policy: the shrinker drops what does not matter and keeps
   * what does. */
  const struct ab_json *pick = NULL;
  struct ab_json *min;
  const struct ab_json *pols;
  size_t n_like = 0;

  if (!corpus_ok)
    SKIP ("no corpus");
  for (size_t i = 0; i < corpus.len && pick == NULL; i++)
    {
      pols = ab_json_get (corpus.cases[i], "policies");
      n_like = 0;
      for (size_t k = 0; pols && k < pols->u.array.len; k++)
        n_like += strstr (ab_json_string (pols->u.array.items[k]), " like ")
                  != NULL;
      if (pols && pols->u.array.len >= 3 && n_like == 1)
        pick = corpus.cases[i];
    }
  CHECK (pick != NULL);
  if (pick == NULL)
    return;
  fault_flip_if = " like ";
  CHECK (disagrees (pick));
  min = shrink (pick);
  fault_flip_if = NULL;
  pols = min ? ab_json_get (min, "policies") : NULL;
  CHECK (pols && pols->u.array.len == 1);
  CHECK (pols && pols->u.array.len > 0
         && strstr (ab_json_string (pols->u.array.items[0]), " like "));
  CHECK (!disagrees (min)); /* without the fault, the engines agree again */
  ab_json_free (min);
}

/* ---- --one and --bench ------------------------------------------------ */

static int
one (void)
{
  cleanup_buf struct ab_buf in = AB_BUF_INIT;
  struct ab_json *c = NULL;
  ab_error_t err = NULL;
  struct verdict v;
  char chunk[4096];
  size_t n;

  while ((n = fread (chunk, 1, sizeof chunk, stdin)) > 0)
    ab_buf_append (&in, chunk, n);
  if (ab_json_parse (in.data ? in.data : "", in.len, "stdin", &c, &err) < 0)
    {
      fprintf (stderr, "%s\n", err->msg);
      return 2;
    }
  agentbox_decide (c, &v);
  printf ("%s%s%s\n", verdict_name (&v), v.why ? " " : "", v.why ? v.why : "");
  verdict_clear (&v);
  ab_json_free (c);
  return 0;
}

static uint64_t
now_ns (void)
{
  struct timespec ts;

  clock_gettime (CLOCK_MONOTONIC, &ts);
  return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static int
bench_case (const struct ab_json *c, long iters)
{
  struct ab_cedar_set *set = NULL;
  struct ab_cedar_entities *ents = NULL;
  struct ab_cedar_request req;
  ab_error_t err = NULL;
  bool allow = false;
  uint64_t t0;
  int r = 0;

  if (load_case (c, "bench", &set, &ents, &req, &err) < 0)
    {
      fprintf (stderr, "bench: %s\n", err->msg);
      r = -1;
      goto out;
    }
  t0 = now_ns ();
  for (long i = 0; i < iters; i++)
    {
      struct ab_cedar_response resp;

      memset (&resp, 0, sizeof resp);
      if (ab_cedar_authorize (set, ents, &req, &resp, &err) < 0)
        {
          fprintf (stderr, "bench: %s\n", err->msg);
          r = -1;
          goto out;
        }
      allow = resp.allow;
      ab_cedar_response_free (&resp);
    }
  {
    const struct ab_json *id = ab_json_get (c, "id");

    printf ("%s %.1f %s\n",
            id && id->type == AB_JSON_NUMBER ? id->u.number : "?",
            (double)(now_ns () - t0) / (double)iters, allow ? "allow" : "deny");
  }
out:
  ab_error_free (&err);
  ab_cedar_set_free (set);
  ab_cedar_entities_free (ents);
  return r;
}

static int
bench (const char *path, long iters)
{
  struct corpus k;
  ab_error_t err = NULL;
  int r = 0;

  if (corpus_load (path, &k, &err) < 0)
    {
      fprintf (stderr, "%s\n", err->msg);
      return 2;
    }
  for (size_t i = 0; i < k.len && r == 0; i++)
    r = bench_case (k.cases[i], iters);
  corpus_free (&k);
  return r ? 1 : 0;
}

int
main (int argc, char **argv)
{
  const char *t = getenv ("AB_TOP");

  if (t && *t)
    top = t;
  if (argc == 2 && strcmp (argv[1], "--one") == 0)
    return one ();
  if (argc >= 3 && strcmp (argv[1], "--bench") == 0)
    return bench (argv[2], argc > 3 ? atol (argv[3]) : 100000);
  if (argc == 3 && strcmp (argv[1], "--corpus") == 0)
    corpus_path = argv[2];
  else if (argc != 1)
    {
      fprintf (stderr, "usage: %s [--corpus FILE | --one | --bench FILE [N]]\n",
               argv[0]);
      return 2;
    }
  RUN (corpus_from_cedar_wasm);
  RUN (every_case_loads);
  RUN (decisions_identical);
  RUN (errored_policies_identical);
  RUN (model_hierarchy_decisions_identical);
  RUN (shrinker_finds_minimal_case);
  corpus_free (&corpus);
  free (mismatches);
  return unit_done ();
}
