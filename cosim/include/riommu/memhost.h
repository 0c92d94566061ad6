/*
 * memhost.h - a sparse physical memory that implements riommu_host_ops:
 * 4 KiB pages allocated on first write (reads of untouched memory return
 * zeros), an optional limit on the pages it will allocate, wire and MSI
 * logs. Used by the command-line tool; no globals.
 */
#ifndef RIOMMU_MEMHOST_H
#define RIOMMU_MEMHOST_H

#include <stddef.h>
#include <stdint.h>

#include "riommu/riommu.h"

typedef struct memhost memhost;

/* Create an empty memory; `max_pages` bounds allocation (0 = 65536). */
memhost *memhost_create(size_t max_pages);
void memhost_destroy(memhost *h);

/* Host ops whose ctx is `h`. */
riommu_host_ops memhost_ops(memhost *h);

/* CPU-side accesses (the "driver" view). Return false when memory for a
 * write could not be allocated. */
bool memhost_write(memhost *h, uint64_t pa, const void *buf, size_t len);
void memhost_read(memhost *h, uint64_t pa, void *buf, size_t len);
bool memhost_w64(memhost *h, uint64_t pa, uint64_t v);
uint64_t memhost_r64(memhost *h, uint64_t pa);

/* Pages allocated so far (each 4 KiB of data plus its index slot). */
size_t memhost_pages(const memhost *h);

/* Wire levels (bit per vector) and the number of MSIs received. */
uint16_t memhost_wires(const memhost *h);
uint64_t memhost_msi_count(const memhost *h);
/* MSIs whose data value is below 32, as a bit mask of data values, since
 * the last call (the platform programs msi_cfg_tbl with data = vector). */
uint32_t memhost_take_msis(memhost *h);

#endif
