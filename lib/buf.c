/* agentbox: growable buffer. */
#include "buf.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int
ab_buf_reserve (struct ab_buf *b, size_t extra)
{
  size_t need = b->len + extra + 1;
  size_t cap = b->cap ? b->cap : 64;
  char *p;

  if (need < b->len)
    return -1; /* overflow */
  if (need <= b->cap)
    return 0;
  while (cap < need)
    cap *= 2;
  p = realloc (b->data, cap);
  if (p == NULL)
    return -1;
  b->data = p;
  b->cap = cap;
  return 0;
}

int
ab_buf_append (struct ab_buf *b, const void *data, size_t len)
{
  if (ab_buf_reserve (b, len) < 0)
    return -1;
  if (len)
    memcpy (b->data + b->len, data, len);
  b->len += len;
  b->data[b->len] = '\0';
  return 0;
}

int
ab_buf_puts (struct ab_buf *b, const char *s)
{
  return ab_buf_append (b, s, strlen (s));
}

int
ab_buf_printf (struct ab_buf *b, const char *fmt, ...)
{
  va_list ap;
  int n;

  va_start (ap, fmt);
  n = vsnprintf (NULL, 0, fmt, ap);
  va_end (ap);
  if (n < 0 || ab_buf_reserve (b, (size_t)n) < 0)
    return -1;
  va_start (ap, fmt);
  vsnprintf (b->data + b->len, (size_t)n + 1, fmt, ap);
  va_end (ap);
  b->len += (size_t)n;
  return 0;
}

char *
ab_buf_steal (struct ab_buf *b)
{
  char *p;

  if (b->data == NULL && ab_buf_reserve (b, 0) < 0)
    return NULL;
  b->data[b->len] = '\0';
  p = b->data;
  b->data = NULL;
  b->len = b->cap = 0;
  return p;
}

void
ab_buf_free (struct ab_buf *b)
{
  free (b->data);
  b->data = NULL;
  b->len = b->cap = 0;
}
