/* agentbox: internals shared by policy/yaml.c (parsing) and
 * policy/yaml-merge.c (lifetime, merge and queries). */
#ifndef AB_POLICY_YAML_INTERNAL_H
#define AB_POLICY_YAML_INTERNAL_H

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* Append one zeroed element to a vector {v, len, cap}; NULL on ENOMEM. */
static inline void *
vec_grow (void **v, size_t *len, size_t *cap, size_t size)
{
  char *p;

  if (*len == *cap)
    {
      size_t ncap = *cap ? *cap * 2 : 4;

      if (ncap > SIZE_MAX / size)
        return NULL;
      p = realloc (*v, ncap * size);
      if (p == NULL)
        return NULL;
      *v = p;
      *cap = ncap;
    }
  p = (char *)*v + (*len)++ * size;
  memset (p, 0, size);
  return p;
}
#define VEC_PUSH(vec)                                                          \
  vec_grow ((void **)&(vec)->v, &(vec)->len, &(vec)->cap, sizeof *(vec)->v)

#endif
