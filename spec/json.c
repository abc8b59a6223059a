/* agentbox: the lossless JSON tree: constructors, objects, arrays, copy,
 * equality.  Parsing is in json-parse.c, serializing in json-gen.c,
 * helpers for the rest of spec/ in json-util.c. */
#include "json.h"

#include <errno.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/cleanup.h"
#include "spec/internal.h"

static struct ab_json *
json_new (enum ab_json_type t)
{
  struct ab_json *j = calloc (1, sizeof (*j));

  if (j)
    j->type = t;
  return j;
}

struct ab_json *
ab_json_new_null (void)
{
  return json_new (AB_JSON_NULL);
}

struct ab_json *
ab_json_new_bool (bool b)
{
  struct ab_json *j = json_new (AB_JSON_BOOL);

  if (j)
    j->u.boolean = b;
  return j;
}

struct ab_json *
ab_json_new_string (const char *s)
{
  struct ab_json *j;

  if (s == NULL)
    return NULL;
  j = json_new (AB_JSON_STRING);
  if (j == NULL)
    return NULL;
  j->u.string.len = strlen (s);
  j->u.string.ptr = strdup (s);
  if (j->u.string.ptr == NULL)
    {
      free (j);
      return NULL;
    }
  return j;
}

struct ab_json *
ab_json_new_number (const char *text)
{
  struct ab_json *j;

  if (text == NULL || *text == '\0')
    return NULL;
  j = json_new (AB_JSON_NUMBER);
  if (j == NULL)
    return NULL;
  j->u.number = strdup (text);
  if (j->u.number == NULL)
    {
      free (j);
      return NULL;
    }
  return j;
}

struct ab_json *
ab_json_new_int (long long v)
{
  char text[32];

  snprintf (text, sizeof (text), "%lld", v);
  return ab_json_new_number (text);
}

struct ab_json *
ab_json_new_array (void)
{
  return json_new (AB_JSON_ARRAY);
}

struct ab_json *
ab_json_new_object (void)
{
  return json_new (AB_JSON_OBJECT);
}

void
ab_json_free (struct ab_json *j)
{
  size_t i;

  if (j == NULL)
    return;
  switch (j->type)
    {
    case AB_JSON_NUMBER:
      free (j->u.number);
      break;
    case AB_JSON_STRING:
      free (j->u.string.ptr);
      break;
    case AB_JSON_ARRAY:
      for (i = 0; i < j->u.array.len; i++)
        ab_json_free (j->u.array.items[i]);
      free (j->u.array.items);
      break;
    case AB_JSON_OBJECT:
      for (i = 0; i < j->u.object.len; i++)
        {
          free (j->u.object.keys[i]);
          ab_json_free (j->u.object.values[i]);
        }
      free (j->u.object.keys);
      free (j->u.object.values);
      break;
    default:
      break;
    }
  free (j);
}

/* ---- arrays ---- */

static int
array_grow (struct ab_json *arr)
{
  size_t cap;
  struct ab_json **items;

  if (arr->u.array.len < arr->u.array.cap)
    return 0;
  cap = arr->u.array.cap ? arr->u.array.cap * 2 : 4;
  if (cap > SIZE_MAX / sizeof (*items))
    return -1;
  items = realloc (arr->u.array.items, cap * sizeof (*items));
  if (items == NULL)
    return -1;
  arr->u.array.items = items;
  arr->u.array.cap = cap;
  return 0;
}

int
ab_json_insert (struct ab_json *arr, size_t index, struct ab_json *val)
{
  size_t n;

  if (arr == NULL || arr->type != AB_JSON_ARRAY || val == NULL
      || index > arr->u.array.len || array_grow (arr) < 0)
    {
      ab_json_free (val);
      return -1;
    }
  n = arr->u.array.len - index;
  memmove (arr->u.array.items + index + 1, arr->u.array.items + index,
           n * sizeof (*arr->u.array.items));
  arr->u.array.items[index] = val;
  arr->u.array.len++;
  return 0;
}

int
ab_json_append (struct ab_json *arr, struct ab_json *val)
{
  if (arr == NULL || arr->type != AB_JSON_ARRAY)
    {
      ab_json_free (val);
      return -1;
    }
  return ab_json_insert (arr, arr->u.array.len, val);
}

void
ab_json_array_remove (struct ab_json *arr, size_t index)
{
  size_t n;

  if (arr == NULL || arr->type != AB_JSON_ARRAY || index >= arr->u.array.len)
    return;
  ab_json_free (arr->u.array.items[index]);
  n = arr->u.array.len - index - 1;
  memmove (arr->u.array.items + index, arr->u.array.items + index + 1,
           n * sizeof (*arr->u.array.items));
  arr->u.array.len--;
}

/* ---- objects ---- */

static int
object_grow (struct ab_json *obj)
{
  size_t cap;
  char **keys;
  struct ab_json **values;

  if (obj->u.object.len < obj->u.object.cap)
    return 0;
  cap = obj->u.object.cap ? obj->u.object.cap * 2 : 4;
  if (cap > SIZE_MAX / sizeof (*values))
    return -1;
  keys = realloc (obj->u.object.keys, cap * sizeof (*keys));
  if (keys == NULL)
    return -1;
  obj->u.object.keys = keys;
  values = realloc (obj->u.object.values, cap * sizeof (*values));
  if (values == NULL)
    return -1;
  obj->u.object.values = values;
  obj->u.object.cap = cap;
  return 0;
}

int
ab_json_object_push (struct ab_json *obj, char *key, struct ab_json *val)
{
  if (obj == NULL || obj->type != AB_JSON_OBJECT || key == NULL || val == NULL
      || object_grow (obj) < 0)
    {
      free (key);
      ab_json_free (val);
      return -1;
    }
  obj->u.object.keys[obj->u.object.len] = key;
  obj->u.object.values[obj->u.object.len] = val;
  obj->u.object.len++;
  return 0;
}

static void
object_remove_at (struct ab_json *obj, size_t i)
{
  size_t n = obj->u.object.len - i - 1;

  free (obj->u.object.keys[i]);
  ab_json_free (obj->u.object.values[i]);
  memmove (obj->u.object.keys + i, obj->u.object.keys + i + 1,
           n * sizeof (*obj->u.object.keys));
  memmove (obj->u.object.values + i, obj->u.object.values + i + 1,
           n * sizeof (*obj->u.object.values));
  obj->u.object.len--;
}

struct ab_json *
ab_json_get (const struct ab_json *obj, const char *key)
{
  size_t i;

  if (obj == NULL || obj->type != AB_JSON_OBJECT || key == NULL)
    return NULL;
  /* The last duplicate wins, as in Go's encoding/json for maps. */
  for (i = obj->u.object.len; i > 0; i--)
    if (strcmp (obj->u.object.keys[i - 1], key) == 0)
      return obj->u.object.values[i - 1];
  return NULL;
}

int
ab_json_set (struct ab_json *obj, const char *key, struct ab_json *val)
{
  size_t i, first = SIZE_MAX;
  char *k;

  if (obj == NULL || obj->type != AB_JSON_OBJECT || key == NULL || val == NULL)
    {
      ab_json_free (val);
      return -1;
    }
  for (i = 0; i < obj->u.object.len;)
    {
      if (strcmp (obj->u.object.keys[i], key) != 0)
        i++;
      else if (first == SIZE_MAX)
        first = i++;
      else
        object_remove_at (obj, i);
    }
  if (first != SIZE_MAX)
    {
      ab_json_free (obj->u.object.values[first]);
      obj->u.object.values[first] = val;
      return 0;
    }
  k = strdup (key);
  if (k == NULL)
    {
      ab_json_free (val);
      return -1;
    }
  return ab_json_object_push (obj, k, val);
}

int
ab_json_remove (struct ab_json *obj, const char *key)
{
  size_t i;
  int n = 0;

  if (obj == NULL || obj->type != AB_JSON_OBJECT || key == NULL)
    return 0;
  for (i = 0; i < obj->u.object.len;)
    {
      if (strcmp (obj->u.object.keys[i], key) == 0)
        {
          object_remove_at (obj, i);
          n++;
        }
      else
        i++;
    }
  return n;
}

static struct ab_json *
ensure (struct ab_json *obj, const char *key, enum ab_json_type t)
{
  struct ab_json *v;

  if (obj == NULL || obj->type != AB_JSON_OBJECT)
    return NULL;
  v = ab_json_get (obj, key);
  if (v)
    return v->type == t ? v : NULL;
  v = json_new (t);
  if (v == NULL || ab_json_set (obj, key, v) < 0)
    return NULL;
  return v;
}

struct ab_json *
ab_json_ensure_object (struct ab_json *obj, const char *key)
{
  return ensure (obj, key, AB_JSON_OBJECT);
}

struct ab_json *
ab_json_ensure_array (struct ab_json *obj, const char *key)
{
  return ensure (obj, key, AB_JSON_ARRAY);
}

/* ---- typed access ---- */

const char *
ab_json_string (const struct ab_json *j)
{
  return j && j->type == AB_JSON_STRING ? j->u.string.ptr : NULL;
}

const char *
ab_json_get_string (const struct ab_json *obj, const char *key)
{
  return ab_json_string (ab_json_get (obj, key));
}

bool
ab_json_is (const struct ab_json *j, enum ab_json_type t)
{
  return j != NULL && j->type == t;
}

const char *
ab_json_type_name (enum ab_json_type t)
{
  switch (t)
    {
    case AB_JSON_NULL:
      return "null";
    case AB_JSON_BOOL:
      return "boolean";
    case AB_JSON_NUMBER:
      return "number";
    case AB_JSON_STRING:
      return "string";
    case AB_JSON_ARRAY:
      return "array";
    case AB_JSON_OBJECT:
      return "object";
    }
  return "unknown";
}

/* ---- copy and equality ---- */

static struct ab_json *
copy_array (const struct ab_json *j)
{
  struct ab_json *c = ab_json_new_array ();
  size_t i;

  for (i = 0; c && i < j->u.array.len; i++)
    if (ab_json_append (c, ab_json_copy (j->u.array.items[i])) < 0)
      {
        ab_json_free (c);
        return NULL;
      }
  return c;
}

static struct ab_json *
copy_object (const struct ab_json *j)
{
  struct ab_json *c = ab_json_new_object ();
  size_t i;

  for (i = 0; c && i < j->u.object.len; i++)
    {
      char *k = strdup (j->u.object.keys[i]);
      struct ab_json *v = ab_json_copy (j->u.object.values[i]);

      /* push frees K and V when it fails, also when either is NULL. */
      if (ab_json_object_push (c, k, v) < 0)
        {
          ab_json_free (c);
          return NULL;
        }
    }
  return c;
}

struct ab_json *
ab_json_copy (const struct ab_json *j)
{
  struct ab_json *c;

  if (j == NULL)
    return NULL;
  switch (j->type)
    {
    case AB_JSON_BOOL:
      return ab_json_new_bool (j->u.boolean);
    case AB_JSON_NUMBER:
      return ab_json_new_number (j->u.number);
    case AB_JSON_STRING:
      c = json_new (AB_JSON_STRING);
      if (c == NULL)
        return NULL;
      c->u.string.ptr = malloc (j->u.string.len + 1);
      if (c->u.string.ptr == NULL)
        {
          free (c);
          return NULL;
        }
      memcpy (c->u.string.ptr, j->u.string.ptr, j->u.string.len + 1);
      c->u.string.len = j->u.string.len;
      return c;
    case AB_JSON_ARRAY:
      return copy_array (j);
    case AB_JSON_OBJECT:
      return copy_object (j);
    default:
      return ab_json_new_null ();
    }
}

bool
ab_json_equal (const struct ab_json *a, const struct ab_json *b)
{
  size_t i;

  if (a == NULL || b == NULL)
    return a == b;
  if (a->type != b->type)
    return false;
  switch (a->type)
    {
    case AB_JSON_NULL:
      return true;
    case AB_JSON_BOOL:
      return a->u.boolean == b->u.boolean;
    case AB_JSON_NUMBER:
      /* Lossless: "1e3" and "1000" are different texts. */
      return strcmp (a->u.number, b->u.number) == 0;
    case AB_JSON_STRING:
      return a->u.string.len == b->u.string.len
             && memcmp (a->u.string.ptr, b->u.string.ptr, a->u.string.len) == 0;
    case AB_JSON_ARRAY:
      if (a->u.array.len != b->u.array.len)
        return false;
      for (i = 0; i < a->u.array.len; i++)
        if (!ab_json_equal (a->u.array.items[i], b->u.array.items[i]))
          return false;
      return true;
    case AB_JSON_OBJECT:
      /* Ordered, duplicates included: the tree is the document. */
      if (a->u.object.len != b->u.object.len)
        return false;
      for (i = 0; i < a->u.object.len; i++)
        if (strcmp (a->u.object.keys[i], b->u.object.keys[i]) != 0
            || !ab_json_equal (a->u.object.values[i], b->u.object.values[i]))
          return false;
      return true;
    }
  return false;
}
