// glibc's malloc.h, which the Glibc module does not export: malloc_trim hands freed heap pages back
// to the system after a policy load; mallinfo2 says how much heap is live (the memory benchmark).
#if __has_include(<malloc.h>)
#include <malloc.h>
#endif
