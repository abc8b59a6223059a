/* agentbox: a growable byte buffer, always NUL-terminated. */
#ifndef AB_BUF_H
#define AB_BUF_H

#include <stddef.h>

struct ab_buf
{
  char *data;
  size_t len;
  size_t cap;
};

#define AB_BUF_INIT                                                            \
  {                                                                            \
    NULL, 0, 0                                                                 \
  }

int ab_buf_reserve (struct ab_buf *b, size_t extra);
int ab_buf_append (struct ab_buf *b, const void *data, size_t len);
int ab_buf_puts (struct ab_buf *b, const char *s);
int ab_buf_printf (struct ab_buf *b, const char *fmt, ...)
    __attribute__ ((format (printf, 2, 3)));
/* Hand the data to the caller (NUL-terminated, never NULL on success). */
char *ab_buf_steal (struct ab_buf *b);
void ab_buf_free (struct ab_buf *b);

static inline void
ab_buf_freep (struct ab_buf *b)
{
  ab_buf_free (b);
}
#define cleanup_buf __attribute__ ((cleanup (ab_buf_freep)))

#endif
