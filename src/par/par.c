/* par.c: the MPI layer of par.h (OpenMPI); serial fallbacks when not under
 * mpirun. */
#include <mpi.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "wsnas/par.h"

static int par_started; /* we called MPI_Init */
static int par_rank, par_size = 1;

static int mpi_fail(ws_error *err, int rc, const char *what)
{
    char msg[MPI_MAX_ERROR_STRING];
    int len = 0;
    if (MPI_Error_string(rc, msg, &len) != MPI_SUCCESS) snprintf(msg, sizeof msg, "code %d", rc);
    return ws_error_set(err, WS_EMPI, "MPI %s failed: %s", what, msg);
}

int ws_par_init(ws_error *err)
{
    if (par_started) return 0;
    const char *s = getenv("OMPI_COMM_WORLD_SIZE");
    if (!s || !*s) return 0;
    int inited = 0, rc;
    MPI_Initialized(&inited);
    if (!inited) {
        if ((rc = MPI_Init(NULL, NULL)) != MPI_SUCCESS) return mpi_fail(err, rc, "MPI_Init");
    }
    MPI_Comm_set_errhandler(MPI_COMM_WORLD, MPI_ERRORS_RETURN);
    MPI_Comm_rank(MPI_COMM_WORLD, &par_rank);
    MPI_Comm_size(MPI_COMM_WORLD, &par_size);
    par_started = 1;
    return 0;
}

void ws_par_finalize(void)
{
    if (!par_started) return;
    int fin = 0;
    MPI_Finalized(&fin);
    if (!fin) MPI_Finalize();
    par_started = 0;
    par_rank = 0;
    par_size = 1;
}

int ws_par_active(void)
{
    return par_started;
}

int ws_par_rank(void)
{
    return par_rank;
}

int ws_par_size(void)
{
    return par_size;
}

int ws_par_barrier(ws_error *err)
{
    if (!par_started) return 0;
    int rc = MPI_Barrier(MPI_COMM_WORLD);
    return rc == MPI_SUCCESS ? 0 : mpi_fail(err, rc, "MPI_Barrier");
}

int ws_par_allreduce_max_int(int *v, ws_error *err)
{
    if (!par_started) return 0;
    int out = 0, rc = MPI_Allreduce(v, &out, 1, MPI_INT, MPI_MAX, MPI_COMM_WORLD);
    if (rc != MPI_SUCCESS) return mpi_fail(err, rc, "MPI_Allreduce");
    *v = out;
    return 0;
}

int ws_par_bcast(void *buf, size_t n, ws_error *err)
{
    if (!par_started) return 0;
    if (n > 0x7fffffff) return ws_error_set(err, WS_EINVAL, "MPI broadcast of %zu bytes", n);
    int rc = MPI_Bcast(buf, (int)n, MPI_BYTE, 0, MPI_COMM_WORLD);
    return rc == MPI_SUCCESS ? 0 : mpi_fail(err, rc, "MPI_Bcast");
}

int ws_par_gatherv_double(const double *send, int n, double **all, int *total, ws_error *err)
{
    *all = NULL;
    *total = 0;
    if (!par_started) {
        double *p = malloc((size_t)(n > 0 ? n : 1) * sizeof *p);
        if (!p) return ws_error_set(err, WS_ENOMEM, "out of memory");
        if (n > 0) memcpy(p, send, (size_t)n * sizeof *p);
        *all = p;
        *total = n;
        return 0;
    }
    int *counts = NULL, *displs = NULL, rc;
    double *buf = NULL;
    if (par_rank == 0) {
        counts = calloc((size_t)par_size, sizeof *counts);
        displs = calloc((size_t)par_size, sizeof *displs);
        if (!counts || !displs) {
            free(counts);
            free(displs);
            counts = displs = NULL;
        }
    }
    /* Every rank must take part in the gathers even if rank 0 ran out of
     * memory; the failure is reported after. */
    int nomem = par_rank == 0 && !counts;
    int dummy = 0;
    rc = MPI_Gather(&n, 1, MPI_INT, counts ? counts : &dummy, 1, MPI_INT, 0, MPI_COMM_WORLD);
    if (rc != MPI_SUCCESS) {
        free(counts);
        free(displs);
        return mpi_fail(err, rc, "MPI_Gather");
    }
    int sum = 0;
    if (counts)
        for (int r = 0; r < par_size; r++) {
            displs[r] = sum;
            sum += counts[r];
        }
    if (par_rank == 0 && !nomem) {
        buf = malloc((size_t)(sum > 0 ? sum : 1) * sizeof *buf);
        nomem = !buf;
    }
    int bad = nomem;
    MPI_Bcast(&bad, 1, MPI_INT, 0, MPI_COMM_WORLD);
    if (bad) {
        free(counts);
        free(displs);
        free(buf);
        return ws_error_set(err, WS_ENOMEM, "MPI gather: out of memory on rank 0");
    }
    rc = MPI_Gatherv(send, n, MPI_DOUBLE, buf, counts, displs, MPI_DOUBLE, 0, MPI_COMM_WORLD);
    free(counts);
    free(displs);
    if (rc != MPI_SUCCESS) {
        free(buf);
        return mpi_fail(err, rc, "MPI_Gatherv");
    }
    if (par_rank == 0) {
        *all = buf;
        *total = sum;
    }
    return 0;
}
