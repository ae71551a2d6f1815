/* par.h: optional MPI scale-out (OpenMPI).  MPI is initialised only when the
 * process was started by mpirun (OMPI_COMM_WORLD_SIZE is in the
 * environment), so the plain binary runs serially as one rank of one.
 * Collective calls are no-ops (or plain copies) in serial mode. */
#ifndef WSNAS_PAR_H
#define WSNAS_PAR_H

#include <stddef.h>

#include "wsnas/common.h"

/* Initialises MPI if launched by mpirun (idempotent). */
int ws_par_init(ws_error *err);
/* Finalises MPI if ws_par_init started it (idempotent). */
void ws_par_finalize(void);
int ws_par_active(void); /* 1 under mpirun after ws_par_init */
int ws_par_rank(void);   /* 0 in serial mode */
int ws_par_size(void);   /* 1 in serial mode */
/* Everyone waits. */
int ws_par_barrier(ws_error *err);
/* *v = the maximum of *v over all ranks (used to agree on failure). */
int ws_par_allreduce_max_int(int *v, ws_error *err);
/* Broadcasts n bytes from rank 0. */
int ws_par_bcast(void *buf, size_t n, ws_error *err);
/* Gathers n doubles from every rank at rank 0: *all (malloc'd, rank 0 only;
 * NULL elsewhere) holds them in rank order, *total their count. */
int ws_par_gatherv_double(const double *send, int n, double **all, int *total, ws_error *err);

#endif
