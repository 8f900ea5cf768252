// Package crosscheck holds tests only: it checks emac's analytic results
// (internal/compute) against its Monte Carlo simulator (internal/sim) on the
// bundled examples and on randomized journeys that use every operator.
package crosscheck
