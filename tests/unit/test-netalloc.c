/* Address slots and the `network:` config section. */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "lib/cleanup.h"
#include "shim/lib/config.h"
#include "shim/lib/netalloc.h"
#include "shim/lib/state.h"
#include "tests/unit/unit.h"

static struct ab_config *
config_in (const char *dir, const char *extra)
{
  cleanup_free char *text = NULL;
  struct ab_config *c = NULL;
  cleanup_error ab_error_t err = NULL;

  if (asprintf (&text, "state_dir: %s\n%s", dir, extra ? extra : "") < 0)
    return NULL;
  if (ab_config_parse ("t.yaml", text, strlen (text), &c, &err) < 0)
    fprintf (stderr, "# %s\n", err->msg);
  return c;
}

static const char *
ntop (int af, const void *a)
{
  static char buf[4][64];
  static int i;

  i = (i + 1) % 4;
  return inet_ntop (af, a, buf[i], sizeof buf[i]);
}

/* A container state directory, as create makes it before taking a slot. */
static void
fake_state (const struct ab_config *c, const char *id)
{
  cleanup_free char *dir = NULL, *parent = NULL;
  cleanup_error ab_error_t err = NULL;

  ab_state_dir (c, id, &dir, &err);
  if (asprintf (&parent, "%s/containers", c->state_dir) >= 0)
    mkdir (parent, 0700);
  mkdir (dir, 0700);
}

TEST (slot_addresses)
{
  cleanup_config struct ab_config *c = config_in ("/nonexistent", NULL);
  cleanup_error ab_error_t err = NULL;
  struct ab_netaddr a;

  CHECK (c != NULL);
  CHECK (ab_netaddr_of_slot (&c->net, 0, &a, &err) == 0);
  CHECK_STR (ntop (AF_INET, &a.ct4), "100.96.0.0");
  CHECK_STR (ntop (AF_INET, &a.peer4), "100.96.0.1");
  CHECK_STR (ntop (AF_INET6, &a.ct6), "fd61:6762:6f78:1::");
  CHECK_STR (ntop (AF_INET6, &a.peer6), "fd61:6762:6f78:1::1");
  CHECK_STR (a.peer_if, "abp0");
  CHECK (ab_netaddr_of_slot (&c->net, 300, &a, &err) == 0);
  CHECK_STR (ntop (AF_INET, &a.ct4), "100.96.2.88");
  CHECK_STR (ntop (AF_INET, &a.peer4), "100.96.2.89");
  CHECK_STR (ntop (AF_INET6, &a.peer6), "fd61:6762:6f78:1::259");
  CHECK_STR (a.peer_if, "abp300");
  /* A /16 holds 32768 /31s. */
  CHECK (ab_netaddr_of_slot (&c->net, 32768, &a, &err) < 0);
  CHECK (err && err->status == ERANGE);
}

TEST (network_config_errors)
{
  static const struct
  {
    const char *yaml, *want;
  } bad[] = {
    { "network: {container_range4: 10.0.0.1/8}\n", "1:" },
    { "network: {container_range4: 10.0.0.0/31}\n", "range too small" },
    { "network: {synthetic_range6: 'fd00::/200'}\n", "IPv6 range" },
    { "network: {ports: [80, 70000]}\n", "port 70000 out of range" },
    { "network: {resolver: 'dns.example'}\n", "expected IP" },
    { "network: {audit_log: relative.jsonl}\n", "absolute path" },
    { "network: {colour: blue}\n", "unknown key `network.colour`" },
    { "network: {enabled: maybe}\n", "1:" },
  };
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
    {
      struct ab_config *c = NULL;
      cleanup_error ab_error_t err = NULL;
      int r = ab_config_parse ("t.yaml", bad[i].yaml, strlen (bad[i].yaml), &c,
                               &err);
      CHECK (r < 0);
      if (r < 0)
        CHECK_CONTAINS (err->msg, bad[i].want);
      ab_config_free (c);
    }
}

TEST (network_config_values)
{
  cleanup_config struct ab_config *c = config_in (
      "/x", "network:\n  ports: [8080]\n  resolver: '[2001:db8::53]:5353'\n"
            "  upstream_netns: /run/netns/up\n  ipv6: false\n");

  CHECK (c != NULL);
  if (c == NULL)
    return;
  CHECK (c->net.n_ports == 1 && c->net.ports[0] == 8080);
  CHECK_STR (c->net.resolver, "[2001:db8::53]:5353");
  CHECK_STR (c->net.upstream_netns, "/run/netns/up");
  CHECK (!c->net.ipv6);
  CHECK (c->net.enabled);
  CHECK (c->net.proxy_port == 3128);
}

TEST (take_release_and_reclaim)
{
  char dir[] = "/tmp/ab-netalloc.XXXXXX";
  cleanup_config struct ab_config *c = NULL;
  cleanup_error ab_error_t err = NULL;
  struct ab_netaddr a, b, back;

  CHECK (mkdtemp (dir) != NULL);
  c = config_in (dir, NULL);
  fake_state (c, "one");
  fake_state (c, "two");
  CHECK (ab_netalloc_take (c, "one", &a, &err) == 0);
  CHECK (ab_netalloc_take (c, "two", &b, &err) == 0);
  CHECK (a.slot == 0 && b.slot == 1);
  /* Written and read back whole. */
  CHECK (ab_netaddr_write (dir, &b, &err) == 0);
  CHECK (ab_netaddr_read (dir, &back, &err) == 0);
  CHECK (memcmp (&back, &b, sizeof b) == 0);
  /* Another id cannot give "one"'s slot back. */
  CHECK (ab_netalloc_release (c, a.slot, "two", &err) == 0);
  CHECK (ab_netalloc_take (c, "three", &b, &err) == 0);
  CHECK (b.slot == 2);
  CHECK (ab_netalloc_release (c, a.slot, "one", &err) == 0);
  fake_state (c, "four");
  CHECK (ab_netalloc_take (c, "four", &b, &err) == 0);
  CHECK (b.slot == 0);
  /* "three" never had a state directory: its slot is taken back. */
  fake_state (c, "five");
  CHECK (ab_netalloc_take (c, "five", &b, &err) == 0);
  CHECK (b.slot == 2);
  CHECK (ab_netaddr_read ("/nonexistent", &back, &err) < 0);
  CHECK (err && err->status == ENOENT);
  {
    char cmd[64];
    snprintf (cmd, sizeof cmd, "rm -rf %s", dir);
    CHECK (system (cmd) == 0);
  }
}

TEST (concurrent_takes_are_distinct)
{
  char dir[] = "/tmp/ab-netalloc.XXXXXX";
  cleanup_config struct ab_config *c = NULL;
  enum
  {
    N = 24
  };
  pid_t pids[N];
  bool seen[N] = { false };

  CHECK (mkdtemp (dir) != NULL);
  c = config_in (dir, NULL);
  for (int i = 0; i < N; i++)
    {
      char id[16];
      snprintf (id, sizeof id, "c%d", i);
      fake_state (c, id);
    }
  for (int i = 0; i < N; i++)
    if ((pids[i] = fork ()) == 0)
      {
        struct ab_netaddr a;
        ab_error_t err = NULL;
        char id[16];
        snprintf (id, sizeof id, "c%d", i);
        _exit (ab_netalloc_take (c, id, &a, &err) == 0 ? (int)a.slot : 255);
      }
  for (int i = 0; i < N; i++)
    {
      int st = 0;
      waitpid (pids[i], &st, 0);
      int slot = WIFEXITED (st) ? WEXITSTATUS (st) : 255;
      CHECK (slot < N);
      if (slot < N)
        {
          CHECK (!seen[slot]);
          seen[slot] = true;
        }
    }
  {
    char cmd[64];
    snprintf (cmd, sizeof cmd, "rm -rf %s", dir);
    CHECK (system (cmd) == 0);
  }
}

int
main (void)
{
  RUN (slot_addresses);
  RUN (network_config_errors);
  RUN (network_config_values);
  RUN (take_release_and_reclaim);
  RUN (concurrent_takes_are_distinct);
  return unit_done ();
}
