/* agentbox: bump allocator (see arena.h). */
#include "policy/arena.h"

#include <stdlib.h>
#include <string.h>

struct block
{
  struct block *next;
  size_t used, size;
  max_align_t data[];
};

struct ab_arena
{
  struct block *head;
};

static struct block *
block_new (size_t size)
{
  struct block *b = malloc (sizeof *b + size);

  if (b)
    {
      b->next = NULL;
      b->used = 0;
      b->size = size;
    }
  return b;
}

struct ab_arena *
ab_arena_new (void)
{
  struct ab_arena *a = calloc (1, sizeof *a);

  if (a && (a->head = block_new (8192)) == NULL)
    {
      free (a);
      return NULL;
    }
  return a;
}

void
ab_arena_reset (struct ab_arena *a)
{
  struct block *b, *first;

  if (a == NULL)
    return;
  for (first = a->head; first && first->next; first = first->next)
    ;
  for (b = a->head; b && b != first;)
    {
      struct block *next = b->next;
      free (b);
      b = next;
    }
  a->head = first;
  if (first)
    first->used = 0;
}

void
ab_arena_free (struct ab_arena *a)
{
  if (a == NULL)
    return;
  for (struct block *b = a->head; b;)
    {
      struct block *next = b->next;
      free (b);
      b = next;
    }
  free (a);
}

void *
ab_arena_alloc (struct ab_arena *a, size_t size)
{
  const size_t align = sizeof (max_align_t);
  struct block *b = a->head;
  void *p;

  size = (size + align - 1) / align * align;
  if (size == 0)
    size = align;
  if (b == NULL || b->size - b->used < size)
    {
      size_t bs
          = size > 65536 ? size : (b && b->size < 65536 ? b->size * 2 : 65536);
      struct block *nb = block_new (bs);
      if (nb == NULL)
        return NULL;
      nb->next = a->head;
      a->head = b = nb;
    }
  p = (char *)b->data + b->used;
  b->used += size;
  memset (p, 0, size);
  return p;
}

char *
ab_arena_strndup (struct ab_arena *a, const char *s, size_t n)
{
  char *p = ab_arena_alloc (a, n + 1);

  if (p)
    {
      memcpy (p, s, n);
      p[n] = '\0';
    }
  return p;
}

char *
ab_arena_strdup (struct ab_arena *a, const char *s)
{
  return ab_arena_strndup (a, s, strlen (s));
}
