/* agentbox-init: the rules file, one "ro|rw|x PATH" a line (init.h). */
#include "shim/init/init.h"

/* The words are arrays, not pointers: agentbox-init has no relocations
 * (lib/nolibc.c). */
static const struct
{
  char word[3];
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
ab_init_rules_parse (char *text, size_t len, const char *name,
                     struct ab_init_rules *rules, ab_error_t *err)
{
  unsigned line = 0;

  rules->n_layers = 1;
  rules->file = strdup (name);
  if (rules->file == NULL)
    return ab_error_set (err, ENOMEM, "out of memory");
  /* Lines as getline(3) reads them: the last may lack its newline. */
  for (size_t at = 0; at < len;)
    {
      char *s = text + at, *nl = memchr (s, '\n', len - at);
      size_t n = nl ? (size_t)(nl - s) : len - at;

      line++;
      s[n] = '\0';
      at += n + 1;
      if (parse_line (s, n, line, rules, err) < 0)
        return ab_error_wrap (err, "%s:%u", name, line);
    }
  return 0;
}

int
ab_init_rules_load (const char *file, struct ab_init_rules *rules,
                    ab_error_t *err)
{
  cleanup_close int fd = open (file, O_RDONLY | O_CLOEXEC);
  cleanup_free char *text = NULL;
  size_t len = 0, cap = 0;

  if (fd < 0)
    {
      rules->file = strdup (file);
      return ab_error_errno (err, "read rules %s", file);
    }
  /* Read to the end, with a byte to spare for the last line's NUL. */
  for (;;)
    {
      ssize_t n;

      if (cap - len < 2)
        {
          char *bigger = realloc (text, cap = cap ? cap * 2 : 4096);

          if (bigger == NULL)
            return ab_error_set (err, ENOMEM, "out of memory");
          text = bigger;
        }
      n = read (fd, text + len, cap - len - 1);
      if (n < 0 && errno == EINTR)
        continue;
      if (n < 0)
        return ab_error_errno (err, "read rules %s", file);
      if (n == 0)
        break;
      len += (size_t)n;
    }
  return ab_init_rules_parse (text, len, file, rules, err);
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
