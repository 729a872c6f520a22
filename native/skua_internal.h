/* Shared between the shim's translation units; not part of the FFI API. */
#ifndef SKUA_INTERNAL_H
#define SKUA_INTERNAL_H

/* Record a reason for the calling thread's last failure (see sk_last_error). */
void sk_set_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif
