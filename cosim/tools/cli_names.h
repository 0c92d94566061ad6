/*
 * cli_names.h - the symbolic names of the `riommu` tool: fault causes,
 * driver results, capability bits, registers, driver events. Shared by the
 * scenario parser, the executor's report and `riommu decode`, so a name
 * means the same thing everywhere. No state; every table is static const.
 *
 * Matching is case-insensitive and treats '-' and '_' alike, so
 * "read-page-fault", "READ_PAGE_FAULT" and "Read-Page-Fault" are one name.
 */
#ifndef RIOMMU_CLI_NAMES_H
#define RIOMMU_CLI_NAMES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "riommu/drv.h"

/* True when `a` equals `b` ignoring case and '-'/'_' differences. */
bool cli_name_eq(const char *a, const char *b);

/* Fault cause by short name (e.g. "read-page-fault", "ddt-invalid") or
 * number 0..4095. Returns false when `s` is neither. */
bool cli_cause_parse(const char *s, unsigned *cause);
/* The short (scenario) name of a cause, or NULL when it has none. */
const char *cli_cause_short(unsigned cause);
/* Every cause that has a short name, in numeric order; *n gets the count. */
const uint16_t *cli_cause_list(size_t *n);

/* Driver result by name: "ok" or the errno name ("ENODEV", ...). */
bool cli_err_parse(const char *s, riommu_drv_err *e);

/* Capability bit by name ("Sv57", "MSI_FLAT", "AMO_HWAD", ...): the mask. */
bool cli_cap_parse(const char *s, uint64_t *mask);
/* Name of capability bit `bit` (0..63), NULL for fields and reserved bits. */
const char *cli_cap_bit_name(unsigned bit);

/* A register by name ("ddtp", "cqcsr", "iohpmevt3", "msi_addr_2") or by an
 * offset < 0x1000. *off gets its offset, *size its width (4 or 8) for a
 * name; for an offset, *size is 0 (the caller chooses the access width).
 * Uses riommu_reg_name, so names follow the model's register table. */
bool cli_reg_parse(const char *s, uint32_t *off, unsigned *size);

/* Driver event kinds by name ("cq-error", "fq-error", "enqueue-timeout",
 * "exec-timeout", "queue-timeout", "already-attached"; "fault" too). */
bool cli_event_parse(const char *s, riommu_drv_event_kind *k);
const char *cli_event_name(riommu_drv_event_kind k);

/* Names of the ddtp modes ("Off", "Bare", "1LVL", "2LVL", "3LVL") and of
 * first-stage modes (iosatp MODE 0/8/9/10: "Bare", "Sv39", ...). */
const char *cli_ddt_mode_name(unsigned mode);
const char *cli_satp_mode_name(unsigned mode);

#endif
