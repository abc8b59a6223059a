/* agentbox: name lookups for the static start-path programs.
 *
 * agentbox-runc and agentbox-hook are linked static-pie (Makefile,
 * docs/start-time.md).  glibc's NSS cannot work in a static program: it
 * would dlopen the NSS modules of whatever glibc the host has.  libnl
 * links getaddrinfo, getnameinfo and getprotoby* in, for conversions
 * agentbox never asks of it; the linker sends those calls here (--wrap).
 * Nothing resolves.  (glob(3) still links glibc's user lookup, for "~";
 * agentbox calls it without GLOB_TILDE and reads /etc/passwd itself.) */
#include <errno.h>
#include <netdb.h>
#include <stddef.h>

int __wrap_getaddrinfo (const char *node, const char *service,
                        const struct addrinfo *hints, struct addrinfo **res);
int __wrap_getnameinfo (const struct sockaddr *sa, socklen_t salen,
                        char *host, socklen_t hostlen, char *serv,
                        socklen_t servlen, int flags);
struct protoent *__wrap_getprotobyname (const char *name);
struct protoent *__wrap_getprotobynumber (int proto);

int
__wrap_getaddrinfo (const char *node, const char *service,
                    const struct addrinfo *hints, struct addrinfo **res)
{
  *res = NULL;
  return EAI_NONAME;
}

int
__wrap_getnameinfo (const struct sockaddr *sa, socklen_t salen, char *host,
                    socklen_t hostlen, char *serv, socklen_t servlen, int flags)
{
  return EAI_NONAME;
}

struct protoent *
__wrap_getprotobyname (const char *name)
{
  errno = ENOENT;
  return NULL;
}

struct protoent *
__wrap_getprotobynumber (int proto)
{
  errno = ENOENT;
  return NULL;
}
