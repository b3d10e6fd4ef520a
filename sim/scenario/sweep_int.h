/* The distributed part of a sweep, behind a small interface: sweep_mpi.c implements it
 * with MPI (compiled only when MPI was found), sweep.c has the single-process stand-ins.
 * Nothing else in the library sees MPI. */
#ifndef FL_SCENARIO_SWEEP_INT_H
#define FL_SCENARIO_SWEEP_INT_H

#include <stddef.h>
#include <stdint.h>

#include <faultline/status.h>
#include <faultline/sweep.h>

/* Every run's figures: row i (nvals doubles) belongs to run i, computed by process
 * i % size. `fail` is the lowest failed run this process knows of (SIZE_MAX: none) and
 * `err` its error. */
typedef struct fl__sweep_rows {
    size_t nruns, nvals;
    double *vals;
    size_t fail;
    fl_error err;
} fl__sweep_rows;

/* Joins MPI when started by a launcher (else rank 0 of 1, MPI untouched). */
fl_status fl__sweep_mpi_begin(fl_sweep_dist *d, fl_error *e);
void fl__sweep_mpi_end(fl_sweep_dist *d);
/* Collective over every process: process 0 ends with every row and the lowest failure of
 * all; the others' rows are left as they were. */
fl_status fl__sweep_mpi_gather(const fl_sweep_dist *d, fl__sweep_rows *rows, fl_error *e);

/* Records of any fixed size, for explore: record i (`size` bytes, no pointers: the
 * processes run the same binary) belongs to process i % d->size. Collective over every
 * process: process 0 ends with every record in place, *fail the lowest of all processes'
 * failed record indices (SIZE_MAX: none) with its error in *err, and *cut the largest of
 * their stop statuses (0: none); the others' records are left as they were. */
fl_status fl__dist_gather_records(const fl_sweep_dist *d, void *recs, size_t n, size_t size,
                                  size_t *fail, fl_error *err, int *cut, fl_error *e);

#endif
