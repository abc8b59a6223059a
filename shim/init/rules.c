/* agentbox-init: the rules file, one "ro|rw|x PATH" a line (init.h). */
#include "shim/init/init.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/cleanup.h"

static const struct
{
  const char *word;
  enum ab_init_access access;
} words[] = {
  { "ro", AB_INIT_RO },
  { "rw", AB_INIT_RW },
  { "x", AB_INIT_X },
};

static int
is_blank (char c)
{
  return c == ' ' || c == '\t' || c == '\r' || c == '\v' || c == '\f';
}

static int
access_of (const char *word, size_t n, enum ab_init_access *access)
{
  for (size_t i = 0; i < sizeof words / sizeof words[0]; i++)
    if (strlen (words[i].word) == n && strncmp (words[i].word, word, n) == 0)
      {
        *access = words[i].access;
        return 0;
      }
  return -1;
}

static int
append (struct ab_init_rules *rules, enum ab_init_access access,
        const char *path, unsigned line, ab_error_t *err)
{
  struct ab_init_rule *v;
  char *copy = strdup (path);

  v = copy ? realloc (rules->v, (rules->n + 1) * sizeof *v) : NULL;
  if (v == NULL)
    {
      free (copy);
      return ab_error_set (err, ENOMEM, "out of memory");
    }
  rules->v = v;
  v[rules->n++]
      = (struct ab_init_rule){ access, copy, line, rules->n_layers - 1 };
  return 0;
}

/* Parse one line (no newline, LEN bytes).  Anything unexpected is an
 * error: a rule we misread would confine the agent to something nobody
 * wrote, so the container does not start (fail closed). */
static int
parse_line (char *s, size_t len, unsigned line, struct ab_init_rules *rules,
            ab_error_t *err)
{
  enum ab_init_access access;
  char *word, *path, *end;

  if (strlen (s) != len)
    return ab_error_set (err, EINVAL, "a NUL byte in the line");
  while (is_blank (*s))
    s++;
  if (*s == '\0' || *s == '#')
    return 0;
  for (word = s; *s && !is_blank (*s); s++)
    ;
  if (s - word == 5 && strncmp (word, "layer", 5) == 0)
    {
      while (is_blank (*s))
        s++;
      if (*s != '\0')
        return ab_error_set (err, EINVAL, "'layer' takes nothing after it");
      if (rules->n_layers >= AB_INIT_MAX_LAYERS)
        return ab_error_set (err, E2BIG, "more than %d layers",
                             AB_INIT_MAX_LAYERS);
      rules->n_layers++;
      return 0;
    }
  if (access_of (word, s - word, &access) < 0)
    return ab_error_set (err, EINVAL,
                         "unknown rule '%.*s' (expected ro, rw "
                         "or x, then an absolute path)",
                         (int)(s - word), word);
  for (path = s; is_blank (*path); path++)
    ;
  for (end = path + strlen (path); end > path && is_blank (end[-1]); end--)
    ;
  *end = '\0';
  if (*path != '/')
    return ab_error_set (err, EINVAL, "'%.*s' needs an absolute path",
                         (int)(s - word), word);
  if (end - path >= PATH_MAX)
    return ab_error_set (err, ENAMETOOLONG, "path longer than PATH_MAX");
  return append (rules, access, path, line, err);
}

int
ab_init_rules_read (FILE *f, const char *name, struct ab_init_rules *rules,
                    ab_error_t *err)
{
  cleanup_free char *buf = NULL;
  size_t cap = 0;
  unsigned line = 0;
  ssize_t len;

  rules->n_layers = 1;
  rules->file = strdup (name);
  if (rules->file == NULL)
    return ab_error_set (err, ENOMEM, "out of memory");
  while ((len = getline (&buf, &cap, f)) >= 0)
    {
      line++;
      if (len > 0 && buf[len - 1] == '\n')
        buf[--len] = '\0';
      if (parse_line (buf, len, line, rules, err) < 0)
        return ab_error_wrap (err, "%s:%u", name, line);
    }
  if (ferror (f))
    return ab_error_errno (err, "read rules %s", name);
  return 0;
}

int
ab_init_rules_load (const char *file, struct ab_init_rules *rules,
                    ab_error_t *err)
{
  cleanup_file FILE *f = fopen (file, "re");

  if (f == NULL)
    {
      rules->file = strdup (file);
      return ab_error_errno (err, "read rules %s", file);
    }
  return ab_init_rules_read (f, file, rules, err);
}

void
ab_init_rules_free (struct ab_init_rules *rules)
{
  for (size_t i = 0; i < rules->n; i++)
    free (rules->v[i].path);
  free (rules->v);
  free (rules->file);
  *rules = (struct ab_init_rules){ 0 };
}
