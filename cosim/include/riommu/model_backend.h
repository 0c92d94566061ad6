/*
 * model_backend.h - libriommu as a co-simulation backend: its own model
 * instance and memory image, with every IOMMU-originated write (fault
 * records, IOFENCE.C data, MSIs, A/D updates) and wire change logged as an
 * event for the engine to compare.
 */
#ifndef RIOMMU_MODEL_BACKEND_H
#define RIOMMU_MODEL_BACKEND_H

#include "riommu/backend.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Create a backend named `name` over a new model built from `cfg`.
 * Returns 0, or -1 with a reason in err. */
int riommu_model_backend_create(const riommu_config *cfg, const char *name,
                                riommu_backend_ops *out, char *err, size_t errlen);

/* The model inside a backend made by riommu_model_backend_create (NULL for
 * other backends): for statistics and backdoor checks. */
riommu *riommu_model_backend_model(const riommu_backend_ops *b);

/* The memory image inside such a backend (NULL for other backends): for
 * statistics the memory itself keeps (MSIs received, wire levels). */
struct memhost;
struct memhost *riommu_model_backend_memhost(const riommu_backend_ops *b);

#ifdef __cplusplus
}
#endif

#endif
