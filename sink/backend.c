/* backend.c - the table of destinations (see backend.h). */
#include "backend.h"

#include <stddef.h>

static const struct backend_ops *const all[] = {&backend_postgresql, &backend_redis, &backend_archive};

const struct backend_ops *backend_for(const char *url)
{
    for (size_t i = 0; i < sizeof all / sizeof *all; i++)
        if (all[i]->matches(url))
            return all[i];
    return NULL;
}
