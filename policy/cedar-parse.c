/* agentbox: Cedar lexer and recursive-descent parser.
 *
 * Follows Cedar's grammar:
 *   Policy    ::= {Annotation} ('permit'|'forbid') '(' Scope ')' {Cond} ';'
 *   Cond      ::= ('when'|'unless') '{' Expr '}'
 *   Expr      ::= Or | 'if' Expr 'then' Expr 'else' Expr
 *   Or        ::= And {'||' And}
 *   And       ::= Relation {'&&' Relation}
 *   Relation  ::= Add [RELOP Add] | Add 'has' (IDENT|STR)
 *               | Add 'like' STR | Add 'is' Path ['in' Add]
 *   Add       ::= Mult {('+'|'-') Mult}
 *   Mult      ::= Unary {'*' Unary}
 *   Unary     ::= ['!'|'-']{0,4} Member
 *   Member    ::= Primary {'.' IDENT ['(' Args ')'] | '[' STR ']'}
 *   Primary   ::= LIT | VAR | Entity | 'ip' '(' Expr ')' | '(' Expr ')'
 *               | '[' Args ']' | '{' RecInits '}'
 * Errors carry file:line:col and a caret excerpt. */
#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "lib/buf.h"
#include "lib/cleanup.h"
#include "policy/cedar-internal.h"

enum tok
{
  T_EOF,
  T_IDENT,
  T_STR,
  T_INT,
  T_LPAREN,
  T_RPAREN,
  T_LBRACK,
  T_RBRACK,
  T_LBRACE,
  T_RBRACE,
  T_COMMA,
  T_SEMI,
  T_COLON,
  T_PATHSEP,
  T_DOT,
  T_EQ,
  T_NE,
  T_LT,
  T_LE,
  T_GT,
  T_GE,
  T_AND,
  T_OR,
  T_NOT,
  T_MINUS,
  T_PLUS,
  T_STAR,
  T_AT,
  T_QUESTION,
  T_ASSIGN,
};

struct token
{
  enum tok t;
  const char *start; /* into the source */
  size_t len;
  unsigned line, col;
};

struct parser
{
  const char *file, *src, *end, *p;
  unsigned line;
  const char *line_start;
  struct token tok;
  struct ab_arena *arena;
  ab_error_t *err;
  int depth;
};

#define MAX_DEPTH 200

/* ---- errors ---- */

static int error_at (struct parser *ps, unsigned line, unsigned col,
                     const char *fmt, ...)
    __attribute__ ((format (printf, 4, 5)));

static int
error_at (struct parser *ps, unsigned line, unsigned col, const char *fmt, ...)
{
  cleanup_buf struct ab_buf b = AB_BUF_INIT;
  const char *ls = ps->src, *le;
  char *msg = NULL;
  va_list ap;

  if (*ps->err)
    return -1; /* the first error wins */
  va_start (ap, fmt);
  if (vasprintf (&msg, fmt, ap) < 0)
    msg = NULL;
  va_end (ap);
  for (unsigned l = 1; l < line && ls < ps->end; ls++)
    if (*ls == '\n')
      l++;
  for (le = ls; le < ps->end && *le != '\n'; le++)
    ;
  ab_buf_printf (&b, "%s:%u:%u: %s\n  %.*s\n  ", ps->file, line, col,
                 msg ? msg : "?", (int)(le - ls), ls);
  for (unsigned c = 1; c < col; c++)
    ab_buf_puts (&b, ls + c - 1 < le && ls[c - 1] == '\t' ? "\t" : " ");
  ab_buf_puts (&b, "^");
  ab_error_set (ps->err, EINVAL, "%s", b.data ? b.data : "?");
  free (msg);
  return -1;
}

#define error_tok(ps, ...)                                                     \
  error_at (ps, (ps)->tok.line, (ps)->tok.col, __VA_ARGS__)

static const char *
tok_name (enum tok t)
{
  static const char *const names[] = {
    [T_EOF] = "end of input", [T_IDENT] = "identifier", [T_STR] = "string",
    [T_INT] = "integer",      [T_LPAREN] = "`(`",       [T_RPAREN] = "`)`",
    [T_LBRACK] = "`[`",       [T_RBRACK] = "`]`",       [T_LBRACE] = "`{`",
    [T_RBRACE] = "`}`",       [T_COMMA] = "`,`",        [T_SEMI] = "`;`",
    [T_COLON] = "`:`",        [T_PATHSEP] = "`::`",     [T_DOT] = "`.`",
    [T_EQ] = "`==`",          [T_NE] = "`!=`",          [T_LT] = "`<`",
    [T_LE] = "`<=`",          [T_GT] = "`>`",           [T_GE] = "`>=`",
    [T_AND] = "`&&`",         [T_OR] = "`||`",          [T_NOT] = "`!`",
    [T_MINUS] = "`-`",        [T_PLUS] = "`+`",         [T_STAR] = "`*`",
    [T_AT] = "`@`",           [T_QUESTION] = "`?`",     [T_ASSIGN] = "`=`",
  };
  return names[t];
}

/* ---- lexer ---- */

static int
lex (struct parser *ps)
{
  const char *p = ps->p;
  struct token *t = &ps->tok;

  for (;;)
    {
      while (p < ps->end && isspace ((unsigned char)*p))
        {
          if (*p == '\n')
            {
              ps->line++;
              ps->line_start = p + 1;
            }
          p++;
        }
      if (p + 1 < ps->end && p[0] == '/' && p[1] == '/')
        {
          while (p < ps->end && *p != '\n')
            p++;
          continue;
        }
      break;
    }
  t->start = p;
  t->line = ps->line;
  t->col = (unsigned)(p - ps->line_start) + 1;
  if (p >= ps->end)
    {
      t->t = T_EOF;
      t->len = 0;
      ps->p = p;
      return 0;
    }
  if (isalpha ((unsigned char)*p) || *p == '_')
    {
      while (p < ps->end && (isalnum ((unsigned char)*p) || *p == '_'))
        p++;
      t->t = T_IDENT;
    }
  else if (isdigit ((unsigned char)*p))
    {
      while (p < ps->end && isdigit ((unsigned char)*p))
        p++;
      t->t = T_INT;
    }
  else if (*p == '"')
    {
      for (p++; p < ps->end && *p != '"'; p++)
        {
          if (*p == '\\' && p + 1 < ps->end)
            p++;
          else if (*p == '\n')
            {
              ps->line++;
              ps->line_start = p + 1;
            }
        }
      if (p >= ps->end)
        return error_at (ps, t->line, t->col, "unterminated string");
      p++;
      t->t = T_STR;
    }
  else
    {
      static const struct
      {
        const char *s;
        enum tok t;
      } ops[] = {
        { "::", T_PATHSEP }, { "==", T_EQ },    { "!=", T_NE },
        { "<=", T_LE },      { ">=", T_GE },    { "&&", T_AND },
        { "||", T_OR },      { "(", T_LPAREN }, { ")", T_RPAREN },
        { "[", T_LBRACK },   { "]", T_RBRACK }, { "{", T_LBRACE },
        { "}", T_RBRACE },   { ",", T_COMMA },  { ";", T_SEMI },
        { ":", T_COLON },    { ".", T_DOT },    { "<", T_LT },
        { ">", T_GT },       { "!", T_NOT },    { "-", T_MINUS },
        { "+", T_PLUS },     { "*", T_STAR },   { "@", T_AT },
        { "?", T_QUESTION }, { "=", T_ASSIGN },
      };
      size_t i;
      for (i = 0; i < sizeof ops / sizeof *ops; i++)
        {
          size_t n = strlen (ops[i].s);
          if ((size_t)(ps->end - p) >= n && memcmp (p, ops[i].s, n) == 0)
            break;
        }
      if (i == sizeof ops / sizeof *ops)
        return error_at (ps, t->line, t->col, "unexpected character `%c`",
                         isprint ((unsigned char)*p) ? *p : '?');
      t->t = ops[i].t;
      p += strlen (ops[i].s);
    }
  t->len = (size_t)(p - t->start);
  ps->p = p;
  return 0;
}

static bool
is_kw (const struct token *t, const char *kw)
{
  return t->t == T_IDENT && strlen (kw) == t->len
         && memcmp (t->start, kw, t->len) == 0;
}

static int
expect (struct parser *ps, enum tok t, const char *what)
{
  if (ps->tok.t != t)
    return error_tok (ps, "expected %s%s%s, got %s", tok_name (t),
                      what ? " " : "", what ? what : "", tok_name (ps->tok.t));
  return lex (ps);
}

static int
expect_kw (struct parser *ps, const char *kw)
{
  if (!is_kw (&ps->tok, kw))
    return error_tok (ps, "expected `%s`, got `%.*s`", kw, (int)ps->tok.len,
                      ps->tok.start);
  return lex (ps);
}

/* ---- strings ---- */

static int
hex (int c)
{
  if (c >= '0' && c <= '9')
    return c - '0';
  if (c >= 'a' && c <= 'f')
    return c - 'a' + 10;
  if (c >= 'A' && c <= 'F')
    return c - 'A' + 10;
  return -1;
}

static int
put_utf8 (struct ab_buf *b, unsigned long cp)
{
  char u[4];
  size_t n;

  if (cp < 0x80)
    u[0] = (char)cp, n = 1;
  else if (cp < 0x800)
    u[0] = (char)(0xC0 | (cp >> 6)), u[1] = (char)(0x80 | (cp & 0x3F)), n = 2;
  else if (cp < 0x10000)
    u[0] = (char)(0xE0 | (cp >> 12)), u[1] = (char)(0x80 | ((cp >> 6) & 0x3F)),
    u[2] = (char)(0x80 | (cp & 0x3F)), n = 3;
  else
    u[0] = (char)(0xF0 | (cp >> 18)), u[1] = (char)(0x80 | ((cp >> 12) & 0x3F)),
    u[2] = (char)(0x80 | ((cp >> 6) & 0x3F)), u[3] = (char)(0x80 | (cp & 0x3F)),
    n = 4;
  return ab_buf_append (b, u, n);
}

/* Decode the string token's escapes (Rust's: \n \r \t \\ \0 \' \" \xHH
 * \u{H..}).  With PATTERN, `\*` is a literal star and `*` a wildcard:
 * the result goes to *PAT (AB_LIKE_STAR for wildcards). */
static int
decode_string (struct parser *ps, const struct token *t, char **out,
               size_t *out_len, int **pat, size_t *pat_len)
{
  cleanup_buf struct ab_buf b = AB_BUF_INIT;
  int *pv = NULL;
  size_t np = 0;
  const char *s = t->start + 1, *e = t->start + t->len - 1;

  if (pat)
    {
      pv = ab_arena_alloc (ps->arena, (t->len + 1) * sizeof *pv);
      if (pv == NULL)
        return ab_error_set (ps->err, ENOMEM, "out of memory");
    }
  while (s < e)
    {
      size_t before = b.len;
      bool star = false;

      if (*s != '\\')
        {
          star = pat && *s == '*';
          if (!star)
            ab_buf_append (&b, s, 1);
          s++;
        }
      else
        {
          char c = s + 1 < e ? s[1] : '\0';
          s += 2;
          switch (c)
            {
            case 'n':
              ab_buf_puts (&b, "\n");
              break;
            case 'r':
              ab_buf_puts (&b, "\r");
              break;
            case 't':
              ab_buf_puts (&b, "\t");
              break;
            case '\\':
              ab_buf_puts (&b, "\\");
              break;
            case '0':
              ab_buf_append (&b, "", 1);
              break;
            case '\'':
              ab_buf_puts (&b, "'");
              break;
            case '"':
              ab_buf_puts (&b, "\"");
              break;
            case '*':
              if (pat)
                {
                  ab_buf_puts (&b, "*");
                  break;
                }
              /* fall through */
            case 'x':
              if (c == 'x')
                {
                  int h1 = s < e ? hex (s[0]) : -1,
                      h2 = s + 1 < e ? hex (s[1]) : -1;
                  if (h1 < 0 || h2 < 0 || h1 > 7)
                    return error_at (ps, t->line, t->col,
                                     "invalid \\x escape in string");
                  char ch = (char)(h1 * 16 + h2);
                  ab_buf_append (&b, &ch, 1);
                  s += 2;
                  break;
                }
              /* fall through */
            case 'u':
              if (c == 'u' && s < e && *s == '{')
                {
                  unsigned long cp = 0;
                  int nd = 0;
                  for (s++; s < e && *s != '}' && nd < 7; s++, nd++)
                    {
                      int h = hex (*s);
                      if (h < 0)
                        break;
                      cp = cp * 16 + (unsigned long)h;
                    }
                  if (s >= e || *s != '}' || nd == 0 || nd > 6 || cp > 0x10FFFF
                      || (cp >= 0xD800 && cp <= 0xDFFF))
                    return error_at (ps, t->line, t->col,
                                     "invalid \\u{...} escape in string");
                  s++;
                  put_utf8 (&b, cp);
                  break;
                }
              /* fall through */
            default:
              return error_at (ps, t->line, t->col,
                               "invalid escape `\\%c` in string", c ? c : ' ');
            }
        }
      if (pat)
        {
          if (star)
            pv[np++] = AB_LIKE_STAR;
          else
            for (size_t i = before; i < b.len; i++)
              pv[np++] = (unsigned char)b.data[i];
        }
    }
  if (out)
    {
      *out = ab_arena_strndup (ps->arena, b.data ? b.data : "", b.len);
      *out_len = b.len;
    }
  if (pat)
    {
      *pat = pv;
      *pat_len = np;
    }
  return 0;
}

/* ---- AST helpers ---- */

static struct ab_cedar_expr *
node (struct parser *ps, enum ab_cedar_ek kind, const struct token *at)
{
  struct ab_cedar_expr *e = ab_arena_alloc (ps->arena, sizeof *e);

  if (e == NULL)
    {
      ab_error_set (ps->err, ENOMEM, "out of memory");
      return NULL;
    }
  e->kind = kind;
  e->loc.file = ps->file;
  e->loc.line = at->line;
  e->loc.col = at->col;
  return e;
}

static struct ab_cedar_expr *
binary (struct parser *ps, enum ab_cedar_ek kind, const struct token *at,
        struct ab_cedar_expr *a, struct ab_cedar_expr *b)
{
  struct ab_cedar_expr *e = (a && b) ? node (ps, kind, at) : NULL;

  if (e)
    {
      e->a = a;
      e->b = b;
    }
  return e;
}

static char *
tok_text (struct parser *ps)
{
  return ab_arena_strndup (ps->arena, ps->tok.start, ps->tok.len);
}

static struct ab_cedar_expr *parse_expr (struct parser *ps);

/* Path ::= IDENT {'::' IDENT}; stops before '::' STR.  *TYPE gets the
 * path; returns 1 if an entity's '::' STR follows (consumed into *ID). */
static int
parse_path (struct parser *ps, char **type, char **id, bool need_id)
{
  cleanup_buf struct ab_buf b = AB_BUF_INIT;

  if (ps->tok.t != T_IDENT)
    return error_tok (ps, "expected a type name, got %s", tok_name (ps->tok.t));
  ab_buf_append (&b, ps->tok.start, ps->tok.len);
  if (lex (ps) < 0)
    return -1;
  while (ps->tok.t == T_PATHSEP)
    {
      if (lex (ps) < 0)
        return -1;
      if (ps->tok.t == T_STR)
        {
          size_t len;
          *type = ab_arena_strndup (ps->arena, b.data, b.len);
          if (decode_string (ps, &ps->tok, id, &len, NULL, NULL) < 0)
            return -1;
          return lex (ps) < 0 ? -1 : 1;
        }
      if (ps->tok.t != T_IDENT)
        return error_tok (ps, "expected an identifier or a string after `::`");
      ab_buf_puts (&b, "::");
      ab_buf_append (&b, ps->tok.start, ps->tok.len);
      if (lex (ps) < 0)
        return -1;
    }
  if (need_id)
    return error_tok (ps, "expected `::\"id\"` after the type `%s`",
                      b.data ? b.data : "");
  *type = ab_arena_strndup (ps->arena, b.data, b.len);
  return 0;
}

/* ACTION_SHORTHAND: Leash's `action == FileOpenReadOnly`, a bare name
 * for Action::"FileOpenReadOnly", accepted in the action scope only so
 * that Leash's policies load unchanged. */
static int
parse_entity_in (struct parser *ps, struct ab_cedar_uid *uid,
                 bool action_shorthand)
{
  char *type = NULL, *id = NULL;
  int r;

  if (ps->tok.t == T_QUESTION)
    return error_tok (ps, "policy templates (`?principal`, `?resource`) are "
                          "not supported");
  r = parse_path (ps, &type, &id, !action_shorthand);
  if (r < 0)
    return -1;
  if (r == 0)
    {
      if (strstr (type, "::"))
        return error_tok (ps, "expected `::\"id\"` after `%s`", type);
      uid->type = "Action";
      uid->id = type;
      return 0;
    }
  uid->type = type;
  uid->id = id;
  return 0;
}

/* A type name (for `is`): a path not followed by ::"id". */
static int
parse_type (struct parser *ps, char **type)
{
  struct token at = ps->tok;
  char *id = NULL;
  int r = parse_path (ps, type, &id, false);

  if (r == 1)
    return error_at (ps, at.line, at.col,
                     "expected a type name after `is`, got an entity");
  return r;
}

static int
parse_entity (struct parser *ps, struct ab_cedar_uid *uid)
{
  return parse_entity_in (ps, uid, false);
}

/* Args ::= [Expr {',' Expr}] up to CLOSE. */
static int
parse_args (struct parser *ps, enum tok close, struct ab_cedar_expr ***items,
            size_t *n)
{
  struct ab_cedar_expr **v = NULL;
  size_t len = 0, cap = 0;

  while (ps->tok.t != close)
    {
      struct ab_cedar_expr *e = parse_expr (ps);
      if (e == NULL)
        return -1;
      if (len == cap)
        {
          struct ab_cedar_expr **nv;
          cap = cap ? cap * 2 : 4;
          nv = ab_arena_alloc (ps->arena, cap * sizeof *nv);
          if (nv == NULL)
            return ab_error_set (ps->err, ENOMEM, "out of memory");
          if (len)
            memcpy (nv, v, len * sizeof *nv);
          v = nv;
        }
      v[len++] = e;
      if (ps->tok.t != T_COMMA)
        break;
      if (lex (ps) < 0)
        return -1;
    }
  *items = v;
  *n = len;
  return expect (ps, close, NULL);
}

static struct ab_cedar_expr *
parse_record (struct parser *ps, const struct token *at)
{
  struct ab_cedar_expr *e = node (ps, EK_RECORD, at);
  size_t cap = 0;

  if (e == NULL)
    return NULL;
  while (ps->tok.t != T_RBRACE)
    {
      char *key = NULL;
      size_t klen;
      struct ab_cedar_expr *v;

      if (ps->tok.t == T_IDENT)
        key = tok_text (ps);
      else if (ps->tok.t == T_STR)
        {
          if (decode_string (ps, &ps->tok, &key, &klen, NULL, NULL) < 0)
            return NULL;
        }
      else
        {
          error_tok (ps, "expected a record key, got %s", tok_name (ps->tok.t));
          return NULL;
        }
      for (size_t i = 0; i < e->n; i++)
        if (strcmp (e->keys[i], key) == 0)
          {
            error_tok (ps, "duplicate key `%s` in record literal", key);
            return NULL;
          }
      if (lex (ps) < 0 || expect (ps, T_COLON, "after a record key") < 0
          || (v = parse_expr (ps)) == NULL)
        return NULL;
      if (e->n == cap)
        {
          size_t nc = cap ? cap * 2 : 4;
          struct ab_cedar_expr **ni
              = ab_arena_alloc (ps->arena, nc * sizeof *ni);
          const char **nk = ab_arena_alloc (ps->arena, nc * sizeof *nk);
          if (ni == NULL || nk == NULL)
            {
              ab_error_set (ps->err, ENOMEM, "out of memory");
              return NULL;
            }
          if (e->n)
            {
              memcpy (ni, e->items, e->n * sizeof *ni);
              memcpy (nk, e->keys, e->n * sizeof *nk);
            }
          e->items = ni;
          e->keys = nk;
          cap = nc;
        }
      e->keys[e->n] = key;
      e->items[e->n++] = v;
      if (ps->tok.t != T_COMMA)
        break;
      if (lex (ps) < 0)
        return NULL;
    }
  return expect (ps, T_RBRACE, "to close the record") < 0 ? NULL : e;
}

static struct ab_cedar_expr *
literal (struct parser *ps, const struct token *at, enum ab_cv_type type)
{
  struct ab_cedar_expr *e = node (ps, EK_LIT, at);

  if (e && (e->lit = ab_arena_alloc (ps->arena, sizeof *e->lit)) == NULL)
    {
      ab_error_set (ps->err, ENOMEM, "out of memory");
      return NULL;
    }
  if (e)
    e->lit->type = type;
  return e;
}

/* An integer literal, NEG when a unary minus stands before it (so that
 * -9223372036854775808 is a literal, as in Cedar). */
static struct ab_cedar_expr *
parse_int (struct parser *ps, bool neg)
{
  struct token at = ps->tok;
  unsigned long long v = 0, limit = neg ? 9223372036854775808ULL
                                        : 9223372036854775807ULL;
  struct ab_cedar_expr *e;

  for (size_t i = 0; i < at.len; i++)
    {
      unsigned d = (unsigned)(at.start[i] - '0');
      if (v > (limit - d) / 10)
        {
          error_tok (ps, "integer literal `%s%.*s` does not fit in 64 bits",
                     neg ? "-" : "", (int)at.len, at.start);
          return NULL;
        }
      v = v * 10 + d;
    }
  if ((e = literal (ps, &at, AB_CV_LONG)) == NULL || lex (ps) < 0)
    return NULL;
  e->lit->u.l = neg ? (int64_t)(0 - v) : (int64_t)v;
  return e;
}

static const char *const vars[]
    = { "principal", "action", "resource", "context", NULL };

static struct ab_cedar_expr *
parse_primary (struct parser *ps)
{
  struct token at = ps->tok;
  struct ab_cedar_expr *e;

  switch (at.t)
    {
    case T_INT:
      return parse_int (ps, false);
    case T_STR:
      if ((e = literal (ps, &at, AB_CV_STRING)) == NULL
          || decode_string (ps, &at, (char **)&e->lit->u.s.ptr,
                            &e->lit->u.s.len, NULL, NULL)
                 < 0
          || lex (ps) < 0)
        return NULL;
      return e;
    case T_LPAREN:
      if (lex (ps) < 0 || (e = parse_expr (ps)) == NULL
          || expect (ps, T_RPAREN, NULL) < 0)
        return NULL;
      return e;
    case T_LBRACK:
      if ((e = node (ps, EK_SET, &at)) == NULL || lex (ps) < 0
          || parse_args (ps, T_RBRACK, &e->items, &e->n) < 0)
        return NULL;
      return e;
    case T_LBRACE:
      return lex (ps) < 0 ? NULL : parse_record (ps, &at);
    case T_QUESTION:
      error_tok (ps, "policy templates (`?principal`, `?resource`) are not "
                     "supported");
      return NULL;
    case T_IDENT:
      break;
    default:
      error_tok (ps, "expected an expression, got %s", tok_name (at.t));
      return NULL;
    }
  if (is_kw (&at, "true") || is_kw (&at, "false"))
    {
      if ((e = literal (ps, &at, AB_CV_BOOL)) == NULL)
        return NULL;
      e->lit->u.b = is_kw (&at, "true");
      return lex (ps) < 0 ? NULL : e;
    }
  for (int v = 0; vars[v]; v++)
    if (is_kw (&at, vars[v]))
      {
        if ((e = node (ps, EK_VAR, &at)) == NULL)
          return NULL;
        e->var = v;
        return lex (ps) < 0 ? NULL : e;
      }
  if (is_kw (&at, "if") || is_kw (&at, "then") || is_kw (&at, "else")
      || is_kw (&at, "in") || is_kw (&at, "has") || is_kw (&at, "like")
      || is_kw (&at, "is"))
    {
      error_tok (ps, "unexpected keyword `%.*s`", (int)at.len, at.start);
      return NULL;
    }
  /* An entity reference Path::"id", or a function call name(...). */
  {
    char *type = NULL, *id = NULL;
    int r = parse_path (ps, &type, &id, false);
    if (r < 0)
      return NULL;
    if (r == 1)
      {
        if ((e = literal (ps, &at, AB_CV_ENTITY)) == NULL)
          return NULL;
        e->lit->u.e.type = type;
        e->lit->u.e.id = id;
        return e;
      }
    if (ps->tok.t == T_LPAREN && strcmp (type, "ip") == 0)
      {
        if ((e = node (ps, EK_IP, &at)) == NULL || lex (ps) < 0
            || parse_args (ps, T_RPAREN, &e->items, &e->n) < 0)
          return NULL;
        if (e->n != 1)
          {
            error_at (ps, at.line, at.col, "ip() takes one argument, got %zu",
                      e->n);
            return NULL;
          }
        return e;
      }
    if (ps->tok.t == T_LPAREN)
      error_at (ps, at.line, at.col,
                "unsupported function `%s` (agentbox supports ip())", type);
    else
      error_at (ps, at.line, at.col, "unknown variable or bare name `%s`",
                type);
    return NULL;
  }
}

static const struct
{
  const char *name;
  int method;
  int nargs;
} methods[] = {
  { "contains", M_CONTAINS, 1 },        { "containsAll", M_CONTAINS_ALL, 1 },
  { "containsAny", M_CONTAINS_ANY, 1 }, { "isIpv4", M_IS_IPV4, 0 },
  { "isIpv6", M_IS_IPV6, 0 },           { "isLoopback", M_IS_LOOPBACK, 0 },
  { "isMulticast", M_IS_MULTICAST, 0 }, { "isInRange", M_IS_IN_RANGE, 1 },
};

static struct ab_cedar_expr *
parse_member (struct parser *ps)
{
  struct ab_cedar_expr *e = parse_primary (ps);

  while (e && (ps->tok.t == T_DOT || ps->tok.t == T_LBRACK))
    {
      struct token at = ps->tok;
      struct ab_cedar_expr *m;

      if (lex (ps) < 0)
        return NULL;
      if (at.t == T_LBRACK)
        {
          if (ps->tok.t != T_STR)
            {
              error_tok (ps, "expected a string attribute name in `[...]`");
              return NULL;
            }
          if ((m = node (ps, EK_ATTR, &at)) == NULL)
            return NULL;
          size_t len;
          if (decode_string (ps, &ps->tok, (char **)&m->name, &len, NULL, NULL)
                  < 0
              || lex (ps) < 0 || expect (ps, T_RBRACK, NULL) < 0)
            return NULL;
          m->a = e;
          e = m;
          continue;
        }
      if (ps->tok.t != T_IDENT)
        {
          error_tok (ps, "expected an attribute or method name after `.`");
          return NULL;
        }
      struct token name = ps->tok;
      if (lex (ps) < 0)
        return NULL;
      if (ps->tok.t != T_LPAREN)
        {
          if ((m = node (ps, EK_ATTR, &name)) == NULL)
            return NULL;
          m->name = ab_arena_strndup (ps->arena, name.start, name.len);
          m->a = e;
          e = m;
          continue;
        }
      size_t k;
      for (k = 0; k < sizeof methods / sizeof *methods; k++)
        if (strlen (methods[k].name) == name.len
            && memcmp (methods[k].name, name.start, name.len) == 0)
          break;
      if (k == sizeof methods / sizeof *methods)
        {
          error_at (ps, name.line, name.col,
                    "unsupported method `%.*s` (agentbox supports contains, "
                    "containsAll, containsAny, isIpv4, isIpv6, isLoopback, "
                    "isMulticast, isInRange)",
                    (int)name.len, name.start);
          return NULL;
        }
      if ((m = node (ps, EK_METHOD, &name)) == NULL || lex (ps) < 0
          || parse_args (ps, T_RPAREN, &m->items, &m->n) < 0)
        return NULL;
      if ((int)m->n != methods[k].nargs)
        {
          error_at (ps, name.line, name.col,
                    "`%s` takes %d argument%s, got %zu", methods[k].name,
                    methods[k].nargs, methods[k].nargs == 1 ? "" : "s", m->n);
          return NULL;
        }
      m->method = methods[k].method;
      m->a = e;
      e = m;
    }
  return e;
}

static struct ab_cedar_expr *
parse_unary (struct parser *ps)
{
  struct token ops[4];
  int n = 0;
  struct ab_cedar_expr *e;

  while (ps->tok.t == T_NOT || ps->tok.t == T_MINUS)
    {
      if (n == 4)
        {
          error_tok (ps, "more than 4 unary operators in a row");
          return NULL;
        }
      ops[n++] = ps->tok;
      if (lex (ps) < 0)
        return NULL;
    }
  /* A minus right before an integer literal makes a negative literal. */
  if (n > 0 && ops[n - 1].t == T_MINUS && ps->tok.t == T_INT)
    {
      e = parse_int (ps, true);
      n--;
    }
  else
    e = parse_member (ps);
  while (e && n > 0)
    {
      struct ab_cedar_expr *u;
      n--;
      if ((u = node (ps, ops[n].t == T_NOT ? EK_NOT : EK_NEG, &ops[n])) == NULL)
        return NULL;
      u->a = e;
      e = u;
    }
  return e;
}

static struct ab_cedar_expr *
parse_mult (struct parser *ps)
{
  struct ab_cedar_expr *e = parse_unary (ps);

  while (e && ps->tok.t == T_STAR)
    {
      struct token at = ps->tok;
      if (lex (ps) < 0)
        return NULL;
      e = binary (ps, EK_MUL, &at, e, parse_unary (ps));
    }
  return e;
}

static struct ab_cedar_expr *
parse_add (struct parser *ps)
{
  struct ab_cedar_expr *e = parse_mult (ps);

  while (e && (ps->tok.t == T_PLUS || ps->tok.t == T_MINUS))
    {
      struct token at = ps->tok;
      if (lex (ps) < 0)
        return NULL;
      e = binary (ps, at.t == T_PLUS ? EK_ADD : EK_SUB, &at, e,
                  parse_mult (ps));
    }
  return e;
}

static struct ab_cedar_expr *
parse_relation (struct parser *ps)
{
  struct ab_cedar_expr *e = parse_add (ps), *r;
  struct token at = ps->tok;
  enum ab_cedar_ek k;

  if (e == NULL)
    return NULL;
  switch (at.t)
    {
    case T_EQ:
      k = EK_EQ;
      break;
    case T_NE:
      k = EK_NE;
      break;
    case T_LT:
      k = EK_LT;
      break;
    case T_LE:
      k = EK_LE;
      break;
    case T_GT:
      k = EK_GT;
      break;
    case T_GE:
      k = EK_GE;
      break;
    case T_ASSIGN:
      error_tok (ps, "`=` is not an operator; did you mean `==`?");
      return NULL;
    case T_IDENT:
      if (is_kw (&at, "in"))
        {
          k = EK_IN;
          break;
        }
      if (is_kw (&at, "has"))
        {
          if (lex (ps) < 0 || (r = node (ps, EK_HAS, &at)) == NULL)
            return NULL;
          if (ps->tok.t == T_IDENT)
            r->name = tok_text (ps);
          else if (ps->tok.t == T_STR)
            {
              size_t len;
              if (decode_string (ps, &ps->tok, (char **)&r->name, &len, NULL,
                                 NULL)
                  < 0)
                return NULL;
            }
          else
            {
              error_tok (ps, "expected an attribute name after `has`");
              return NULL;
            }
          r->a = e;
          return lex (ps) < 0 ? NULL : r;
        }
      if (is_kw (&at, "like"))
        {
          if (lex (ps) < 0 || (r = node (ps, EK_LIKE, &at)) == NULL)
            return NULL;
          if (ps->tok.t != T_STR)
            {
              error_tok (ps, "expected a string pattern after `like`");
              return NULL;
            }
          if (decode_string (ps, &ps->tok, NULL, NULL, &r->pattern, &r->plen)
              < 0)
            return NULL;
          r->a = e;
          return lex (ps) < 0 ? NULL : r;
        }
      if (is_kw (&at, "is"))
        {
          char *type = NULL;
          if (lex (ps) < 0 || (r = node (ps, EK_IS, &at)) == NULL
              || parse_type (ps, &type) < 0)
            return NULL;
          r->name = type;
          r->a = e;
          if (is_kw (&ps->tok, "in"))
            {
              struct token in_at = ps->tok;
              struct ab_cedar_expr *in;
              if (lex (ps) < 0)
                return NULL;
              in = binary (ps, EK_IN, &in_at, e, parse_add (ps));
              return binary (ps, EK_AND, &at, r, in);
            }
          return r;
        }
      return e;
    default:
      return e;
    }
  if (lex (ps) < 0)
    return NULL;
  r = binary (ps, k, &at, e, parse_add (ps));
  if (r
      && (ps->tok.t == T_EQ || ps->tok.t == T_NE || ps->tok.t == T_LT
          || ps->tok.t == T_LE || ps->tok.t == T_GT || ps->tok.t == T_GE
          || is_kw (&ps->tok, "in")))
    {
      error_tok (ps, "comparisons do not chain: add parentheses");
      return NULL;
    }
  return r;
}

static struct ab_cedar_expr *
parse_and (struct parser *ps)
{
  struct ab_cedar_expr *e = parse_relation (ps);

  while (e && ps->tok.t == T_AND)
    {
      struct token at = ps->tok;
      if (lex (ps) < 0)
        return NULL;
      e = binary (ps, EK_AND, &at, e, parse_relation (ps));
    }
  return e;
}

static struct ab_cedar_expr *
parse_or (struct parser *ps)
{
  struct ab_cedar_expr *e = parse_and (ps);

  while (e && ps->tok.t == T_OR)
    {
      struct token at = ps->tok;
      if (lex (ps) < 0)
        return NULL;
      e = binary (ps, EK_OR, &at, e, parse_and (ps));
    }
  return e;
}

static struct ab_cedar_expr *
parse_expr (struct parser *ps)
{
  struct token at = ps->tok;
  struct ab_cedar_expr *e;

  if (++ps->depth > MAX_DEPTH)
    {
      error_tok (ps, "expression nested more than %d deep", MAX_DEPTH);
      return NULL;
    }
  if (is_kw (&at, "if"))
    {
      if (lex (ps) < 0 || (e = node (ps, EK_IF, &at)) == NULL
          || (e->a = parse_expr (ps)) == NULL || expect_kw (ps, "then") < 0
          || (e->b = parse_expr (ps)) == NULL || expect_kw (ps, "else") < 0
          || (e->c = parse_expr (ps)) == NULL)
        return NULL;
    }
  else
    e = parse_or (ps);
  ps->depth--;
  return e;
}

/* ---- scope and policies ---- */

static int
parse_scope_part (struct parser *ps, const char *var, struct ab_cedar_scope *sc)
{
  bool is_action = strcmp (var, "action") == 0;

  if (expect_kw (ps, var) < 0)
    return -1;
  memset (sc, 0, sizeof *sc);
  if (ps->tok.t == T_EQ)
    {
      sc->op = AB_SCOPE_EQ;
      sc->entities = ab_arena_alloc (ps->arena, sizeof *sc->entities);
      sc->n_entities = 1;
      return sc->entities && lex (ps) == 0
                 ? parse_entity_in (ps, sc->entities, is_action)
                 : -1;
    }
  if (is_kw (&ps->tok, "in"))
    {
      sc->op = AB_SCOPE_IN;
      if (lex (ps) < 0)
        return -1;
      if (ps->tok.t == T_LBRACK && strcmp (var, "action") == 0)
        {
          size_t cap = 4;
          sc->action_list = true;
          sc->entities = ab_arena_alloc (ps->arena, cap * sizeof *sc->entities);
          if (lex (ps) < 0)
            return -1;
          while (ps->tok.t != T_RBRACK)
            {
              if (sc->n_entities == cap)
                {
                  struct ab_cedar_uid *n
                      = ab_arena_alloc (ps->arena, 2 * cap * sizeof *n);
                  if (n == NULL)
                    return ab_error_set (ps->err, ENOMEM, "out of memory");
                  memcpy (n, sc->entities, cap * sizeof *n);
                  sc->entities = n;
                  cap *= 2;
                }
              if (parse_entity_in (ps, &sc->entities[sc->n_entities++], true)
                  < 0)
                return -1;
              if (ps->tok.t != T_COMMA)
                break;
              if (lex (ps) < 0)
                return -1;
            }
          return expect (ps, T_RBRACK, "to close the action list");
        }
      sc->entities = ab_arena_alloc (ps->arena, sizeof *sc->entities);
      sc->n_entities = 1;
      return parse_entity_in (ps, sc->entities, is_action);
    }
  if (is_kw (&ps->tok, "is"))
    {
      char *type = NULL;
      if (strcmp (var, "action") == 0)
        return error_tok (ps, "`is` is not allowed on action in the scope");
      if (lex (ps) < 0 || parse_type (ps, &type) < 0)
        return -1;
      sc->op = AB_SCOPE_IS;
      sc->is_type = type;
      if (is_kw (&ps->tok, "in"))
        {
          sc->op = AB_SCOPE_IS_IN;
          sc->entities = ab_arena_alloc (ps->arena, sizeof *sc->entities);
          sc->n_entities = 1;
          return lex (ps) < 0 ? -1 : parse_entity (ps, sc->entities);
        }
    }
  return 0;
}

static int
parse_annotation (struct parser *ps, struct ab_cedar_policy *p)
{
  struct ab_cedar_annotation *a;
  char *key, *value = NULL;
  size_t len;

  if (lex (ps) < 0)
    return -1;
  if (ps->tok.t != T_IDENT)
    return error_tok (ps, "expected an annotation name after `@`");
  key = tok_text (ps);
  for (size_t i = 0; i < p->n_annotations; i++)
    if (strcmp (p->annotations[i].key, key) == 0)
      return error_tok (ps, "duplicate annotation `@%s`", key);
  if (lex (ps) < 0)
    return -1;
  if (ps->tok.t == T_LPAREN)
    {
      if (lex (ps) < 0)
        return -1;
      if (ps->tok.t != T_STR)
        return error_tok (ps, "expected a string in `@%s(...)`", key);
      if (decode_string (ps, &ps->tok, &value, &len, NULL, NULL) < 0
          || lex (ps) < 0 || expect (ps, T_RPAREN, NULL) < 0)
        return -1;
    }
  a = ab_arena_alloc (ps->arena, (p->n_annotations + 1) * sizeof *a);
  if (a == NULL)
    return ab_error_set (ps->err, ENOMEM, "out of memory");
  if (p->n_annotations)
    memcpy (a, p->annotations, p->n_annotations * sizeof *a);
  a[p->n_annotations].key = key;
  a[p->n_annotations].value = value ? value : "";
  p->annotations = a;
  p->n_annotations++;
  if (strcmp (key, "id") == 0)
    p->annot_id = a[p->n_annotations - 1].value;
  return 0;
}

static int
add_cond (struct parser *ps, struct ab_cedar_policy *p, struct ab_cedar_expr *e,
          bool unless)
{
  struct ab_cedar_expr **c
      = ab_arena_alloc (ps->arena, (p->n_conds + 1) * sizeof *c);
  bool *u = ab_arena_alloc (ps->arena, (p->n_conds + 1) * sizeof *u);

  if (c == NULL || u == NULL)
    return ab_error_set (ps->err, ENOMEM, "out of memory");
  if (p->n_conds)
    {
      memcpy (c, p->conds, p->n_conds * sizeof *c);
      memcpy (u, p->cond_unless, p->n_conds * sizeof *u);
    }
  c[p->n_conds] = e;
  u[p->n_conds] = unless;
  p->conds = c;
  p->cond_unless = u;
  p->n_conds++;
  return 0;
}

static int
parse_policy (struct parser *ps, struct ab_cedar_policy *p)
{
  memset (p, 0, sizeof *p);
  while (ps->tok.t == T_AT)
    if (parse_annotation (ps, p) < 0)
      return -1;
  p->loc.file = ps->file;
  p->loc.line = ps->tok.line;
  p->loc.col = ps->tok.col;
  if (is_kw (&ps->tok, "permit"))
    p->permit = true;
  else if (!is_kw (&ps->tok, "forbid"))
    return ps->tok.t == T_IDENT
               ? error_tok (ps, "expected `permit` or `forbid`, got `%.*s`",
                            (int)ps->tok.len, ps->tok.start)
               : error_tok (ps, "expected `permit` or `forbid`, got %s",
                            tok_name (ps->tok.t));
  if (lex (ps) < 0 || expect (ps, T_LPAREN, "after the effect") < 0
      || parse_scope_part (ps, "principal", &p->principal) < 0
      || expect (ps, T_COMMA, "after the principal") < 0
      || parse_scope_part (ps, "action", &p->action) < 0
      || expect (ps, T_COMMA, "after the action") < 0
      || parse_scope_part (ps, "resource", &p->resource) < 0)
    return -1;
  if (ps->tok.t == T_COMMA)
    return error_tok (ps, "the scope has three parts: principal, action, "
                          "resource");
  if (expect (ps, T_RPAREN, "to close the scope") < 0)
    return -1;
  while (is_kw (&ps->tok, "when") || is_kw (&ps->tok, "unless"))
    {
      bool unless = is_kw (&ps->tok, "unless");
      struct ab_cedar_expr *e;
      if (lex (ps) < 0 || expect (ps, T_LBRACE, NULL) < 0
          || (e = parse_expr (ps)) == NULL
          || expect (ps, T_RBRACE, "to close the condition") < 0
          || add_cond (ps, p, e, unless) < 0)
        return -1;
    }
  return expect (ps, T_SEMI, "at the end of the policy");
}

/* ---- the set ---- */

struct ab_cedar_set *
ab_cedar_set_new (void)
{
  struct ab_cedar_set *s = calloc (1, sizeof *s);

  if (s && (s->arena = ab_arena_new ()) == NULL)
    {
      free (s);
      return NULL;
    }
  return s;
}

void
ab_cedar_set_free (struct ab_cedar_set *s)
{
  if (s == NULL)
    return;
  free (s->policies);
  ab_arena_free (s->arena);
  free (s);
}

int
ab_cedar_parse (struct ab_cedar_set *s, const char *file, const char *text,
                size_t len, ab_error_t *err)
{
  struct parser ps = { 0 };
  size_t first = s->len;

  if (memchr (text, '\0', len))
    return ab_error_set (err, EINVAL, "%s: NUL byte in policy", file);
  ps.file = ab_arena_strdup (s->arena, file);
  ps.src = ps.p = ps.line_start = text;
  ps.end = text + len;
  ps.line = 1;
  ps.arena = s->arena;
  ps.err = err;
  if (lex (&ps) < 0)
    return -1;
  while (ps.tok.t != T_EOF)
    {
      struct ab_cedar_policy p;
      if (parse_policy (&ps, &p) < 0)
        {
          /* Every failure path sets an error; this is the net under it. */
          if (*err == NULL)
            error_tok (&ps, "syntax error");
          s->len = first; /* nothing from this file is kept */
          return -1;
        }
      if (s->len == s->cap)
        {
          size_t cap = s->cap ? s->cap * 2 : 16;
          struct ab_cedar_policy *np = realloc (s->policies, cap * sizeof *np);
          if (np == NULL)
            {
              s->len = first;
              return ab_error_set (err, ENOMEM, "out of memory");
            }
          s->policies = np;
          s->cap = cap;
        }
      snprintf (p.id, sizeof p.id, "policy%zu", s->len);
      s->policies[s->len++] = p;
    }
  return 0;
}

int
ab_cedar_parse_file (struct ab_cedar_set *s, const char *path, ab_error_t *err)
{
  cleanup_file FILE *f = fopen (path, "re");
  cleanup_buf struct ab_buf b = AB_BUF_INIT;
  char chunk[8192];
  size_t n;

  if (f == NULL)
    return ab_error_errno (err, "open `%s`", path);
  while ((n = fread (chunk, 1, sizeof chunk, f)) > 0)
    if (ab_buf_append (&b, chunk, n) < 0)
      return ab_error_set (err, ENOMEM, "%s: out of memory", path);
  if (ferror (f))
    return ab_error_set (err, EIO, "read `%s`: I/O error", path);
  return ab_cedar_parse (s, path, b.data ? b.data : "", b.len, err);
}
