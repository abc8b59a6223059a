/* agentbox: a bump allocator.  Everything allocated in an arena is freed
 * at once with it: an AST, or the values of one evaluation. */
#ifndef AB_ARENA_H
#define AB_ARENA_H

#include <stddef.h>

struct ab_arena;

struct ab_arena *ab_arena_new (void);
void ab_arena_free (struct ab_arena *a);
/* Forget everything but keep the first block (cheap reuse). */
void ab_arena_reset (struct ab_arena *a);
/* Zeroed memory, aligned for any type; NULL on allocation failure. */
void *ab_arena_alloc (struct ab_arena *a, size_t size);
char *ab_arena_strndup (struct ab_arena *a, const char *s, size_t n);
char *ab_arena_strdup (struct ab_arena *a, const char *s);

#endif
