/* broker/brk_topic_mem.c — memory blocks for topic segments.
 *
 * Records are written into memory nobody touched before until a topic
 * reaches its retention, and a first touch costs a page fault per 4 KiB
 * (tens of microseconds each under some hypervisors: more than copying the
 * page). A block of exactly BRK_TOPIC_HUGE_BLOCK bytes is therefore mapped
 * on its own, aligned, advised for transparent huge pages and populated in
 * one call: one fault (or one madvise) per 2 MiB instead of 512. Other
 * sizes come from malloc. Neither is zeroed by us: records are written
 * before they are read. Where the kernel lacks a feature the block simply
 * faults in as usual.
 */
#include <stdint.h>
#include <stdlib.h>
#include <sys/mman.h>

#include "broker/brk_topic.h"

#ifndef MADV_POPULATE_WRITE
#define MADV_POPULATE_WRITE 23 /* Linux 5.14 */
#endif

/* A private anonymous mapping of `size` bytes aligned to `size` (a power
 * of two): twice as much is mapped, the unaligned ends are unmapped. */
static void *map_aligned(size_t size)
{
    uint8_t *p = mmap(NULL, 2 * size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED) {
        return NULL;
    }
    uintptr_t a = ((uintptr_t)p + size - 1) & ~(uintptr_t)(size - 1);
    size_t head = (size_t)(a - (uintptr_t)p);
    if (head) {
        munmap(p, head);
    }
    munmap((uint8_t *)a + size, size - head);
    return (void *)a;
}

void *brk_topic_block_alloc(size_t size)
{
    if (size != BRK_TOPIC_HUGE_BLOCK) {
        return malloc(size);
    }
    void *p = map_aligned(size);
    if (p) {
#ifdef MADV_HUGEPAGE
        (void)madvise(p, size, MADV_HUGEPAGE);
#endif
        (void)madvise(p, size, MADV_POPULATE_WRITE);
    }
    return p;
}

void brk_topic_block_free(void *p, size_t size)
{
    if (!p) {
        return;
    }
    if (size != BRK_TOPIC_HUGE_BLOCK) {
        free(p);
        return;
    }
    munmap(p, size);
}
