/* agentbox: small helpers the files of spec/ share (internal.h). */
#include "json.h"

#include <limits.h>
#include <stdint.h>
#include <stdlib.h>

#include "lib/cleanup.h"
#include "spec/internal.h"

int
ab_json_append_string (struct ab_json *arr, const char *s)
{
  return ab_json_append (arr, ab_json_new_string (s));
}

struct ab_json *
ab_json_new_strv (const char *const *v)
{
  struct ab_json *arr = ab_json_new_array ();

  for (; arr && v && *v; v++)
    if (ab_json_append_string (arr, *v) < 0)
      {
        ab_json_free (arr);
        return NULL;
      }
  return arr;
}

int
ab_json_strv (const struct ab_json *arr, const char ***out, size_t *bad)
{
  size_t i, n;
  cleanup_free const char **v = NULL;

  *bad = SIZE_MAX;
  if (arr && arr->type != AB_JSON_ARRAY)
    return -1;
  n = arr ? arr->u.array.len : 0;
  if (n > (size_t)INT_MAX - 1)
    return -1;
  v = calloc (n + 1, sizeof (*v));
  if (v == NULL)
    return -1;
  for (i = 0; i < n; i++)
    {
      v[i] = ab_json_string (arr->u.array.items[i]);
      if (v[i] == NULL)
        {
          *bad = i;
          return -1;
        }
    }
  *out = steal_pointer (&v);
  return (int)n;
}

bool
ab_json_number_u64 (const struct ab_json *j, unsigned long long *v)
{
  const char *p;
  unsigned long long r = 0;

  if (!ab_json_is (j, AB_JSON_NUMBER))
    return false;
  for (p = j->u.number; *p; p++)
    {
      unsigned d;

      if (*p < '0' || *p > '9')
        return false; /* sign, fraction, exponent: not an unsigned int */
      d = (unsigned)(*p - '0');
      if (r > (ULLONG_MAX - d) / 10)
        return false;
      r = r * 10 + d;
    }
  *v = r;
  return p != j->u.number;
}

bool
ab_json_number_int (const struct ab_json *j, int *v)
{
  const char *p;
  long long r = 0;
  bool neg;

  if (!ab_json_is (j, AB_JSON_NUMBER))
    return false;
  p = j->u.number;
  neg = *p == '-';
  if (neg)
    p++;
  if (*p == '\0')
    return false;
  for (; *p; p++)
    {
      if (*p < '0' || *p > '9')
        return false;
      r = r * 10 + (*p - '0');
      if (r > (long long)INT_MAX + 1)
        return false;
    }
  if (neg)
    r = -r;
  if (r > INT_MAX || r < INT_MIN)
    return false;
  *v = (int)r;
  return true;
}
