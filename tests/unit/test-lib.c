/* Unit tests for lib/: the error type, buffers, log line shapes. */
#include <errno.h>
#include <fcntl.h>
#include <unistd.h>

#include "lib/buf.h"
#include "lib/error.h"
#include "lib/log.h"
#include "tests/unit/unit.h"

TEST (error_set_and_wrap)
{
  cleanup_error ab_error_t err = NULL;

  CHECK (ab_error_set (&err, ENOENT, "open `%s`", "/x") == -1);
  CHECK (err->status == ENOENT);
  ab_error_wrap (&err, "container %s", "c1");
  CHECK_STR (err->msg, "container c1: open `/x`");
}

TEST (error_errno_keeps_errno)
{
  cleanup_error ab_error_t err = NULL;

  errno = EACCES;
  ab_error_errno (&err, "write");
  CHECK (err->status == EACCES);
  CHECK_STR (err->msg, "write: Permission denied");
}

TEST (error_zero_status_is_einval)
{
  cleanup_error ab_error_t err = NULL;

  ab_error_set (&err, 0, "bad");
  CHECK (err->status == EINVAL);
}

TEST (buf_printf_grows)
{
  cleanup_buf struct ab_buf b = AB_BUF_INIT;

  for (int i = 0; i < 1000; i++)
    CHECK (ab_buf_printf (&b, "%d,", i) == 0);
  CHECK (b.len > 3000);
  CHECK (strncmp (b.data, "0,1,2,", 6) == 0);
}

TEST (json_escape_controls)
{
  cleanup_buf struct ab_buf b = AB_BUF_INIT;

  ab_json_escape (&b, "a\"b\\c\nd\x01");
  CHECK_STR (b.data, "a\\\"b\\\\c\\nd\\u0001");
}

static char *
read_all (const char *path)
{
  static char buf[4096];
  int fd = open (path, O_RDONLY);
  ssize_t n = fd < 0 ? -1 : read (fd, buf, sizeof buf - 1);
  if (fd >= 0)
    close (fd);
  buf[n > 0 ? n : 0] = '\0';
  return buf;
}

TEST (log_json_line_shape)
{
  char path[] = "/tmp/ab-test-log-XXXXXX";
  int fd = mkstemp (path);
  cleanup_error ab_error_t err = NULL;

  close (fd);
  CHECK (ab_log_open (path, AB_LOG_JSON, false, &err) == 0);
  int saved = dup (2), devnull = open ("/dev/null", O_WRONLY);
  dup2 (devnull, 2); /* keep the test's stderr clean */
  ab_log_error ("container %s: \"bad\"", "c1");
  ab_log_debug ("not written without debug");
  dup2 (saved, 2);
  close (saved);
  close (devnull);
  ab_log_close ();
  const char *got = read_all (path);
  CHECK (strncmp (got,
                  "{\"level\":\"error\",\"msg\":\"container c1: \\\"bad\\\"\","
                  "\"time\":\"",
                  50)
         == 0);
  CHECK (strstr (got, "not written") == NULL);
  CHECK (got[strlen (got) - 1] == '\n');
  unlink (path);
}

int
main (void)
{
  RUN (error_set_and_wrap);
  RUN (error_errno_keeps_errno);
  RUN (error_zero_status_is_einval);
  RUN (buf_printf_grows);
  RUN (json_escape_controls);
  RUN (log_json_line_shape);
  return unit_done ();
}
