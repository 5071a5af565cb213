// Package cputime reads the CPU time the process has used, so that benchmarks on a shared machine
// can report a figure (work per CPU-second) that other processes do not inflate, next to the
// wall-clock one.
package cputime
