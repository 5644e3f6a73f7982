// Debian trixie's swiftlang 6.0.3 ships a libswiftObservation.so that references
// swift::threading::fatal(const char*, ...), which none of its shared libraries exports (upstream
// links it statically), so anything using @Observable fails to link. This defines it: print and
// abort, which is what the runtime's own version does. Linux only; empty elsewhere.
#if defined(__linux__)
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

__attribute__((noreturn, visibility("default"))) void homevisit_swift_threading_fatal(const char *format, ...)
    __asm__("_ZN5swift9threading5fatalEPKcz");

void homevisit_swift_threading_fatal(const char *format, ...) {
  va_list args;
  va_start(args, format);
  vfprintf(stderr, format, args);
  va_end(args);
  abort();
}
#endif
