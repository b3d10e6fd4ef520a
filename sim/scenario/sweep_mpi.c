/* Sweeps across processes with MPI (compiled only when meson found MPI: -Dmpi=enabled).
 *
 * Run i belongs to process i % size. Each process packs its rows in run order (its k-th
 * row is run rank + k * size); process 0 gathers them with one MPI_Gatherv of doubles and
 * puts each back at its run's place, so the table it writes is the one a single process
 * would have made, byte for byte. Each process also sends its lowest failed run and that
 * run's error (one fixed-size record, MPI_Gather of bytes: the processes run the same
 * binary); process 0 keeps the lowest of all, as the threaded sweep does. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <mpi.h>

#include "core/alloc.h"
#include "scenario/sweep_int.h"

bool fl_sweep_dist_built(void) { return true; }

/* Started by a launcher? (Open MPI, MPICH/Hydra and Intel MPI, PMIx/Slurm.) A plain
 * `faultline sweep` does not touch MPI at all: no singleton start-up cost. */
static bool launched(void)
{
    static const char *const vars[] = {"OMPI_COMM_WORLD_SIZE", "PMI_SIZE", "PMIX_RANK",
                                       "MPI_LOCALNRANKS", NULL};
    for (int i = 0; vars[i]; i++)
        if (getenv(vars[i]))
            return true;
    return false;
}

fl_status fl__sweep_mpi_begin(fl_sweep_dist *d, fl_error *e)
{
    d->rank = 0;
    d->size = 1;
    d->mpi = false;
    int inited = 0;
    MPI_Initialized(&inited);
    if (!launched() && !inited)
        return FL_OK;
    if (!inited) {
        int provided = 0;
        /* Threads run the simulations; only the main thread calls MPI. */
        if (MPI_Init_thread(NULL, NULL, MPI_THREAD_FUNNELED, &provided) != MPI_SUCCESS)
            return fl_error_set(e, FL_INTERNAL, NULL, "MPI_Init_thread failed");
        d->mpi = true;
    }
    MPI_Comm_rank(MPI_COMM_WORLD, &d->rank);
    MPI_Comm_size(MPI_COMM_WORLD, &d->size);
    return FL_OK;
}

void fl__sweep_mpi_end(fl_sweep_dist *d)
{
    if (d->mpi) {
        int fin = 0;
        MPI_Finalized(&fin);
        if (!fin)
            MPI_Finalize();
        d->mpi = false;
    }
}

typedef struct failure {
    uint64_t run; /* UINT64_MAX: none */
    fl_error err;
} failure;

static size_t owned(size_t nruns, int rank, int size)
{
    return nruns > (size_t)rank ? (nruns - (size_t)rank + (size_t)size - 1) / (size_t)size : 0;
}

fl_status fl__sweep_mpi_gather(const fl_sweep_dist *d, fl__sweep_rows *rows, fl_error *e)
{
    int rank = d->rank, size = d->size;
    size_t nv = rows->nvals, mine = owned(rows->nruns, rank, size);
    /* The same test on every process: all give up together, none waits forever. */
    if (rows->nruns * nv > (size_t)INT32_MAX / 2)
        return fl_error_set(e, FL_LIMIT, NULL, "too many figures to gather over MPI");
    /* Process 0 makes room first and tells the others whether it could: a process that
     * cannot receive must not leave the others blocked in the gathering. */
    int *counts = NULL, *displs = NULL;
    double *recv = NULL;
    failure *fs = NULL;
    int ok = 1;
    if (rank == 0) {
        counts = fl_calloc((size_t)size, sizeof *counts);
        displs = fl_calloc((size_t)size, sizeof *displs);
        recv = fl_malloc((rows->nruns * nv + 1) * sizeof *recv);
        fs = fl_calloc((size_t)size, sizeof *fs);
        ok = counts && displs && recv && fs;
        for (int r = 0, at = 0; ok && r < size; r++) {
            counts[r] = (int)(owned(rows->nruns, r, size) * nv);
            displs[r] = at;
            at += counts[r];
        }
    }
    MPI_Bcast(&ok, 1, MPI_INT, 0, MPI_COMM_WORLD);
    fl_status st = FL_OK;
    if (ok) {
        /* This process's rows, straight from the table: `mine` blocks of nv doubles,
         * size * nv apart, from row `rank` on. */
        if (nv > 0) {
            MPI_Datatype mine_t;
            MPI_Type_vector(mine ? (int)mine : 1, (int)nv, size * (int)nv, MPI_DOUBLE, &mine_t);
            MPI_Type_commit(&mine_t);
            MPI_Gatherv(mine ? rows->vals + (size_t)rank * nv : rows->vals, mine ? 1 : 0, mine_t,
                        recv, counts, displs, MPI_DOUBLE, 0, MPI_COMM_WORLD);
            MPI_Type_free(&mine_t);
        }
        failure f;
        memset(&f, 0, sizeof f);
        f.run = rows->fail == SIZE_MAX ? UINT64_MAX : (uint64_t)rows->fail;
        if (rows->fail != SIZE_MAX)
            f.err = rows->err;
        MPI_Gather(&f, (int)sizeof f, MPI_BYTE, fs, (int)sizeof f, MPI_BYTE, 0, MPI_COMM_WORLD);
    } else if (rank == 0)
        st = fl_error_set(e, FL_NOMEM, NULL, "out of memory");
    if (ok && rank == 0) {
        for (int r = 0; r < size; r++)
            for (size_t k = 0; k < owned(rows->nruns, r, size); k++)
                memcpy(rows->vals + ((size_t)r + k * (size_t)size) * nv,
                       recv + (size_t)displs[r] + k * nv, nv * sizeof *recv);
        for (int r = 0; r < size; r++)
            if (fs[r].run != UINT64_MAX && fs[r].run < (uint64_t)rows->fail) {
                rows->fail = (size_t)fs[r].run;
                rows->err = fs[r].err;
            }
    }
    fl_free(counts);
    fl_free(displs);
    fl_free(recv);
    fl_free(fs);
    return st;
}

/* Explore's runs: the records are packed by owner (process r's k-th is record r + k * size),
 * gathered as bytes with one MPI_Gatherv and put back in place on process 0; then each
 * process's lowest failure and its stop status, as for the sweep. */
typedef struct stop_rec {
    uint64_t run; /* UINT64_MAX: none */
    int cut;
    fl_error err;
} stop_rec;

fl_status fl__dist_gather_records(const fl_sweep_dist *d, void *recs, size_t n, size_t size,
                                  size_t *fail, fl_error *err, int *cut, fl_error *e)
{
    int rank = d->rank, np = d->size;
    size_t mine = owned(n, rank, np);
    /* The same test on every process: all give up together, none waits forever. */
    if (n * size > (size_t)INT32_MAX / 2)
        return fl_error_set(e, FL_LIMIT, NULL, "too many runs to gather over MPI");
    char *pack = fl_malloc(mine * size + 1), *recv = NULL;
    int *counts = NULL, *displs = NULL;
    stop_rec *fs = NULL;
    int ok = pack != NULL, all = 0;
    if (rank == 0) {
        counts = fl_calloc((size_t)np, sizeof *counts);
        displs = fl_calloc((size_t)np, sizeof *displs);
        recv = fl_malloc(n * size + 1);
        fs = fl_calloc((size_t)np, sizeof *fs);
        ok = ok && counts && displs && recv && fs;
        for (int r = 0, at = 0; ok && r < np; r++) {
            counts[r] = (int)(owned(n, r, np) * size);
            displs[r] = at;
            at += counts[r];
        }
    }
    /* Every process must be able to take part, or none does. */
    MPI_Allreduce(&ok, &all, 1, MPI_INT, MPI_MIN, MPI_COMM_WORLD);
    fl_status st = FL_OK;
    if (all) {
        for (size_t k = 0; k < mine; k++)
            memcpy(pack + k * size, (char *)recs + ((size_t)rank + k * (size_t)np) * size, size);
        MPI_Gatherv(pack, (int)(mine * size), MPI_BYTE, recv, counts, displs, MPI_BYTE, 0,
                    MPI_COMM_WORLD);
        stop_rec f;
        memset(&f, 0, sizeof f);
        f.run = *fail == SIZE_MAX ? UINT64_MAX : (uint64_t)*fail;
        f.cut = *cut;
        if (*fail != SIZE_MAX)
            f.err = *err;
        MPI_Gather(&f, (int)sizeof f, MPI_BYTE, fs, (int)sizeof f, MPI_BYTE, 0, MPI_COMM_WORLD);
        if (rank == 0) {
            for (int r = 0; r < np; r++)
                for (size_t k = 0; k < owned(n, r, np); k++)
                    memcpy((char *)recs + ((size_t)r + k * (size_t)np) * size,
                           recv + (size_t)displs[r] + k * size, size);
            for (int r = 0; r < np; r++) {
                if (fs[r].run != UINT64_MAX && fs[r].run < (uint64_t)*fail) {
                    *fail = (size_t)fs[r].run;
                    *err = fs[r].err;
                }
                if (fs[r].cut > *cut)
                    *cut = fs[r].cut;
            }
        }
    } else
        st = fl_error_set(e, FL_NOMEM, NULL, "out of memory");
    fl_free(pack);
    fl_free(counts);
    fl_free(displs);
    fl_free(recv);
    fl_free(fs);
    return st;
}
